/**
 * npm run bench:provision [-- --n 10 --concurrency 20 --image debian-12]
 *
 * Request→ready through repro (HTTP API, queue, worker, Docker) against, in the same run, the
 * same image started raw (create + start, no network, no hardening) with the same readiness
 * check (`true` exec'd inside). Prints p50/p95 for both and their ratio, sequential and concurrent,
 * then where repro's time goes: the API answer, the queue (request recorded → worker starts), the
 * provider step, the client seeing `ready`; and the engine calls of the provider step one by one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from '../src/config/loadConfig.js';
import { buildDeps } from '../src/deps.js';
import { buildApp } from '../src/http/buildApp.js';
import { loadCatalog } from '../src/images/loadCatalog.js';
import { buildProvisioners } from '../src/provisioners/buildProvisioners.js';
import { containerOptions, networkOptions } from '../src/provisioners/docker/containerOptions.js';
import { execInContainer } from '../src/provisioners/docker/execInContainer.js';
import { removeContainer, removeNetwork } from '../src/provisioners/docker/removeResources.js';
import { startWorkers } from '../src/workers/startWorkers.js';
import { deleteKeys } from '../test/support/harness.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '20' }, image: { type: 'string', default: 'debian-12' } },
});
const N = Number(values.n);
const C = Number(values.concurrency);

const id = randomBytes(3).toString('hex');
const token = `bench-${randomBytes(16).toString('hex')}`;
const config = loadConfig({
  ...process.env,
  REPRO_REDIS_PREFIX: `bench-${id}`, REPRO_HOST_ID: `bench-${id}`, REPRO_ADMIN_TOKEN: token, PORT: '0',
  REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-bench-')), REPRO_PROVISION_CONCURRENCY: String(Math.max(C, 1)),
  // A round keeps all its environments live on one ticket until it ends: quotas must not cut it short.
  ...Object.fromEntries(['PER_REQUESTER', 'PER_TICKET', 'OVERALL'].map((q) => [`REPRO_QUOTA_${q}`, String(Math.max(N, C) + 1)])),
});
const catalog = await loadCatalog(config.imagesDir);
const image = catalog.get(values.image);
if (!image?.container) throw new Error(`image ${values.image} has no container settings`);
const deps = buildDeps({ config, catalog, provisioners: buildProvisioners(config), log: pino({ level: 'warn' }) });
await deps.ready();
await deps.tokens.register(token, 'bench', 'admin');
const workers = await startWorkers(deps, deps.connect());
const app = await buildApp(deps);
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const docker = new Docker();
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

/** Milliseconds per phase of each request through repro, from the events' own times. */
const phases: Record<'api' | 'queue' | 'provider' | 'seen', number[]> = { api: [], queue: [], provider: [], seen: [] };

function recordPhases(text: string, posted: number, seenAt: number): void {
  const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; at: string });
  const at = (type: string) => Date.parse(events.find((e) => e.type === type)?.at ?? '');
  const [requested, provisioning, ready] = [at('requested'), at('provisioning'), at('ready')];
  if ([requested, provisioning, ready].some(Number.isNaN)) return;
  phases.api.push(posted);
  phases.queue.push(provisioning - requested);
  phases.provider.push(ready - provisioning);
  phases.seen.push(seenAt - ready);
}

/** Request → ready, watched through the live event stream (no polling delay). */
async function throughRepro(): Promise<{ ms: number; envId: string }> {
  const start = performance.now();
  const res = await fetch(`${base}/v1/environments`, { method: 'POST', headers, body: JSON.stringify({ ticket: { system: 'generic', id: `BENCH-${id}` }, image: image!.name, ttl: '1h' }) });
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  const posted = performance.now() - start;
  const { id: envId } = (await res.json()) as { id: string };
  const stream = await fetch(`${base}/v1/environments/${envId}/events`, { headers: { ...headers, accept: 'text/event-stream' } });
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes('"state":"ready"')) break;
    if (text.includes('"state":"failed"')) throw new Error(`${envId} failed: ${text}`);
  }
  const ms = performance.now() - start;
  recordPhases(text, posted, Date.now());
  return { ms, envId };
}

async function raw(): Promise<{ ms: number; container: Docker.Container }> {
  const start = performance.now();
  const container = await docker.createContainer({ Image: image!.container!.tag, Labels: { 'io.repro.bench': id } });
  await container.start();
  const check = await execInContainer(container, ['true'], { timeoutMs: 30_000, maxOutputBytes: 4096 });
  if (check.exitCode !== 0) throw new Error('raw readiness check failed');
  return { ms: performance.now() - start, container };
}

async function pool<T>(count: number, concurrency: number, task: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      next++;
      out.push(await task());
    }
  }));
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function round(label: string, concurrency: number, count: number) {
  const reproTimes: number[] = [];
  const rawTimes: number[] = [];
  let errors = 0;
  const rawResults = await pool(count, concurrency, raw).catch((e: Error) => { errors++; console.error(e.message); return []; });
  rawTimes.push(...rawResults.map((r) => r.ms));
  await Promise.all(rawResults.map((r) => r.container.remove({ force: true })));
  const reproResults = await pool(count, concurrency, throughRepro).catch((e: Error) => { errors++; console.error(e.message); return []; });
  reproTimes.push(...reproResults.map((r) => r.ms));
  await Promise.all(reproResults.map((r) => deps.service.requestDestroy(r.envId, 'bench', 'bench done')));
  const [rp50, rp95, bp50, bp95] = [pct(reproTimes, 50), pct(reproTimes, 95), pct(rawTimes, 50), pct(rawTimes, 95)];
  console.log(`${label.padEnd(22)} repro p50 ${rp50.toFixed(0).padStart(6)} ms  p95 ${rp95.toFixed(0).padStart(6)} ms | raw docker p50 ${bp50.toFixed(0).padStart(6)} ms  p95 ${bp95.toFixed(0).padStart(6)} ms | ratio p50 ${(rp50 / bp50).toFixed(2)}  p95 ${(rp95 / bp95).toFixed(2)} | ${reproTimes.length}+${rawTimes.length} runs, ${errors} errors`);
  return errors;
}

/** The provider step's engine calls one at a time, as the Docker provisioner makes them. */
async function engineSteps(count: number): Promise<void> {
  const steps: Record<string, number[]> = { 'network create': [], 'container create': [], 'network ‖ container create': [], start: [], 'readiness exec': [] };
  for (let i = 0; i < count; i++) {
    const envId = `bench-${id}-steps-${i}`;
    const labels = { 'io.repro.bench': id };
    const spec = { envId, ticket: { system: 'generic', id: 'BENCH' }, image: image!, packages: [], limits: { ...config.limits } };
    let t = performance.now();
    await docker.createNetwork(networkOptions(envId, labels));
    steps['network create']!.push(performance.now() - t);
    t = performance.now();
    let container = await docker.createContainer(containerOptions(spec, image!.container!.tag, labels));
    steps['container create']!.push(performance.now() - t);
    await removeContainer(docker, container.id);
    await removeNetwork(docker, `repro-${envId}`);
    t = performance.now();
    [, container] = await Promise.all([docker.createNetwork(networkOptions(envId, labels)), docker.createContainer(containerOptions(spec, image!.container!.tag, labels))]);
    steps['network ‖ container create']!.push(performance.now() - t);
    t = performance.now();
    await container.start();
    steps.start!.push(performance.now() - t);
    t = performance.now();
    await execInContainer(container, ['true'], { timeoutMs: 30_000, maxOutputBytes: 4096 });
    steps['readiness exec']!.push(performance.now() - t);
    await removeContainer(docker, container.id);
    await removeNetwork(docker, `repro-${envId}`);
  }
  console.log(`engine calls (p50 of ${count}): ${Object.entries(steps).map(([k, v]) => `${k} ${pct(v, 50).toFixed(0)} ms`).join(', ')}`);
}

console.log(`bench:provision image=${image.name} (${image.container.tag}) n=${N} concurrency=${C}, no extra packages, cached image`);
let errors = 0;
try {
  await throughRepro().then((r) => deps.service.requestDestroy(r.envId, 'bench', 'warm-up')); // warm-up: first-request costs out of the numbers
  for (const list of Object.values(phases)) list.length = 0;
  errors += await round('sequential', 1, N);
  console.log(`where repro's time goes (p50, sequential): ${Object.entries(phases).map(([k, v]) => `${k} ${pct(v, 50).toFixed(0)} ms`).join(', ')}`);
  errors += await round(`concurrency ${C}`, C, Math.max(N, C));
  await engineSteps(Math.min(N, 10));
} finally {
  // Wait for teardown so the next run starts clean.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await deps.store.idsInState('destroying')).length + (await deps.store.idsInState('ready')).length > 0) {
    await new Promise((r) => setTimeout(r, 500));
  }
  await app.close();
  await workers.close();
  await deleteKeys(deps.redis, config.redisPrefix);
  await deps.close();
}
process.exit(errors > 0 ? 1 : 0);
