/**
 * What the benches share: a whole repro (API + workers) in this process under a Redis prefix of
 * its own, a request watched to `ready` through the live event stream, the by-hand baseline
 * (`docker run` of the same image, readiness by exec), a bounded pool and percentiles.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig, type Config } from '../src/config/loadConfig.js';
import { buildDeps, type Deps } from '../src/app/buildDeps.js';
import { buildApp } from '../src/http/buildApp.js';
import type { CatalogImage } from '../src/images/catalog.js';
import { loadCatalog } from '../src/images/loadCatalog.js';
import { buildProvisioners } from '../src/provisioners/buildProvisioners.js';
import { execInContainer } from '../src/provisioners/docker/execInContainer.js';
import { startWorkers } from '../src/workers/startWorkers.js';
import { deleteKeys } from '../test/support/harness.js';

export interface BenchService {
  id: string;
  config: Config;
  deps: Deps;
  /** The deployment id the workers label resources with (absent without workers). */
  deployment?: string;
  image: CatalogImage;
  /** http://127.0.0.1:port */
  base: string;
  token: string;
  headers: Record<string, string>;
  /** Asks for teardown of everything still live, waits for it, and removes the bench's Redis keys. */
  close(): Promise<void>;
}

export interface Ready {
  ms: number;
  envId: string;
  /** How long the POST took to answer. */
  postedMs: number;
  /** Wall-clock time (Date.now) the client read `ready`, to set against the events' own times. */
  seenAt: number;
  /** The event stream as read up to `ready`. */
  text: string;
}

export const docker = new Docker();

export async function startBenchService(opts: { image: string; live: number; concurrency: number; env?: Record<string, string>; workers?: boolean }): Promise<BenchService> {
  const id = randomBytes(3).toString('hex');
  const token = `bench-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    REPRO_REDIS_PREFIX: `bench-${id}`, REPRO_HOST_ID: `bench-${id}`, REPRO_ADMIN_TOKEN: token, PORT: '0',
    REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-bench-')), REPRO_PROVISION_CONCURRENCY: String(Math.max(opts.concurrency, 1)),
    // Container benches: the VM provider stays out of this service (bench:vm has its own).
    REPRO_KINDS: 'container',
    // A round keeps all its environments live on one ticket until it ends: quotas must not cut it short.
    ...Object.fromEntries(['PER_REQUESTER', 'PER_TICKET', 'OVERALL'].map((q) => [`REPRO_QUOTA_${q}`, String(opts.live + 1)])),
    // Each request follows its own event stream, all under the bench's one token.
    REPRO_EVENT_STREAMS_PER_TOKEN: String(Math.max(opts.concurrency, 10)),
    ...opts.env,
  });
  const catalog = await loadCatalog(config.imagesDir);
  const image = catalog.get(opts.image);
  if (!image?.container) throw new Error(`image ${opts.image} has no container settings`);
  const deps = buildDeps({ config, catalog, provisioners: buildProvisioners(config), log: pino({ level: 'warn' }) });
  await deps.ready();
  await deps.tokens.register(token, 'bench', 'admin');
  const workers = opts.workers === false ? undefined : await startWorkers(deps, deps.connect());
  const app = await buildApp(deps);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    id, config, deps, image, base, token,
    ...(workers ? { deployment: workers.deployment } : {}),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    async close() {
      for (const state of ['requested', 'provisioning', 'ready', 'failed'] as const) {
        for (const envId of await deps.store.idsInState(state)) await deps.service.requestDestroy(envId, 'bench', 'bench done').catch(() => undefined);
      }
      // Wait for teardown so the next run starts clean.
      const deadline = Date.now() + 300_000;
      while (workers && Date.now() < deadline && (await deps.store.idsInState('destroying')).length > 0) {
        await new Promise((r) => setTimeout(r, 500));
      }
      await app.close();
      await workers?.close();
      await deleteKeys(deps.redis, config.redisPrefix);
      await deps.close();
    },
  };
}

/** Request → ready, watched through the live event stream (no polling delay). */
export async function requestReady(svc: BenchService, body: Record<string, unknown>): Promise<Ready> {
  const start = performance.now();
  const res = await fetch(`${svc.base}/v1/environments`, {
    method: 'POST',
    headers: svc.headers,
    body: JSON.stringify({ ticket: { system: 'generic', id: `BENCH-${svc.id}` }, image: svc.image.name, ttl: '1h', ...body }),
  });
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  const postedMs = performance.now() - start;
  const { id: envId } = (await res.json()) as { id: string };
  const stream = await fetch(`${svc.base}/v1/environments/${envId}/events`, { headers: { ...svc.headers, accept: 'text/event-stream' } });
  // A refused stream (429 too_many_streams) must count as an error, not as an instant ready.
  if (!stream.ok) throw new Error(`events of ${envId} answered ${stream.status}: ${await stream.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes('"state":"ready"')) return { ms: performance.now() - start, envId, postedMs, seenAt: Date.now(), text };
    if (text.includes('"state":"failed"')) throw new Error(`${envId} failed: ${text.slice(-2000)}`);
  }
  throw new Error(`the event stream of ${envId} ended before ready: ${text.slice(-2000)}`);
}

/**
 * The by-hand baseline: `docker run` of the image (create + start, the engine's defaults) and the
 * same readiness check, then `commands` run one after the other as a person would.
 */
export async function byHand(tag: string, label: string, commands: string[][] = []): Promise<{ ms: number; container: Docker.Container }> {
  const start = performance.now();
  const container = await docker.createContainer({ Image: tag, Labels: { 'io.repro.bench': label } });
  await container.start();
  for (const argv of [['true'], ...commands]) {
    const r = await execInContainer(container, argv, { timeoutMs: 15 * 60_000, maxOutputBytes: 65536, env: ['DEBIAN_FRONTEND=noninteractive'] });
    if (r.exitCode !== 0) throw new Error(`by hand: ${argv.join(' ')} exited with ${r.exitCode}: ${r.stderr.slice(-2000)}`);
  }
  return { ms: performance.now() - start, container };
}

/** Runs `count` tasks, at most `concurrency` at once; a failure is counted, not thrown. */
export async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<{ results: T[]; errors: string[] }> {
  const results: T[] = [];
  const errors: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      try {
        results.push(await task(i));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }));
  return { results, errors };
}

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(Math.ceil((p / 100) * s.length) - 1, 0))]!;
}

export const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
