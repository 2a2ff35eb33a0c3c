import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/loadConfig.js';
import { buildDeps, type Deps } from '../../src/app/buildDeps.js';
import type { EnvironmentKind } from '../../src/domain/environment.js';
import { buildApp } from '../../src/http/buildApp.js';
import type { Catalog, CatalogImage } from '../../src/images/catalog.js';
import { loadCatalog, readCatalog, staticCatalog } from '../../src/images/loadCatalog.js';
import type { Provisioner } from '../../src/provisioners/port.js';
import { startWorkers, type Workers } from '../../src/workers/startWorkers.js';
import { removeDeploymentContainers } from './removeDeploymentContainers.js';

export interface Harness {
  config: Config;
  deps: Deps;
  app: FastifyInstance;
  workers?: Workers;
  adminToken: string;
  requesterToken: string;
  /** Authorization header for the requester token. */
  auth: { authorization: string };
  startWorkers(): Promise<Workers>;
  /** Closes everything and removes what it left: its Redis keys, its workers' containers and networks. */
  close(): Promise<void>;
}

/**
 * A whole service against the real Redis, under a fresh key prefix (and host id, so queues are
 * private too); everything it wrote is deleted on close.
 */
export async function startHarness(opts: { provisioners?: Partial<Record<EnvironmentKind, Provisioner>>; env?: Record<string, string>; workers?: boolean; log?: Logger; imagesDir?: string; extraImages?: CatalogImage[] } = {}): Promise<Harness> {
  const id = randomBytes(4).toString('hex');
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    REPRO_REDIS_PREFIX: `test-${id}`,
    REPRO_HOST_ID: `test-${id}`,
    REPRO_ADMIN_TOKEN: adminToken,
    REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-test-')),
    REPRO_MAINTENANCE_INTERVAL_MS: '3600000',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    ...opts.env,
  });
  // As the service does: broken definitions are reported, the valid ones served.
  const { images, broken } = await readCatalog(opts.imagesDir ?? join(import.meta.dirname, '../../images'));
  const deps = buildDeps({ config, catalog: staticCatalog([...images, ...(opts.extraImages ?? [])]), brokenImages: broken, provisioners: opts.provisioners ?? {}, log: opts.log ?? pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }) });
  // The command connection has no offline queue: wait until it is ready.
  await deps.ready();
  await deps.catalog.refresh();
  await deps.tokens.register(adminToken, 'admin', 'admin');
  const requesterToken = await deps.tokens.issue('alice', 'requester');
  const app = await buildApp(deps);
  const workerSets: Workers[] = [];
  const h: Harness = {
    config, deps, app, adminToken, requesterToken,
    auth: { authorization: `Bearer ${requesterToken}` },
    async startWorkers() {
      const w = await startWorkers(deps, deps.connect());
      workerSets.push(w);
      h.workers = w;
      return w;
    },
    async close() {
      await app.close();
      await Promise.all(workerSets.map((w) => w.close()));
      if (deps.provisioners.container) await Promise.all(workerSets.map((w) => removeDeploymentContainers(w.deployment)));
      await deleteKeys(deps.redis, config.redisPrefix);
      await deps.close();
    },
  };
  if (opts.workers) await h.startWorkers();
  return h;
}

/** The repository's own image catalog. */
export function repoCatalog(): Promise<Catalog> {
  return loadCatalog(join(import.meta.dirname, '../../images'));
}

/** Deletes every key under a prefix (SCAN, never KEYS: the Redis may be shared). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Polls every `intervalMs` until `check` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
