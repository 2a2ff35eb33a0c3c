import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { freePort } from '../support/freePort.js';
import { ownRedis, type OwnRedis } from '../support/redisServer.js';

/** Bounds a call that would otherwise hang, so a hang fails the test instead of stalling it. */
async function answered<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The API and workers (echo provisioner) with a Redis of the test's own that dies, freezes and comes back. */
describe('when Redis is unavailable', () => {
  let redis: OwnRedis;
  let h: Harness;

  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
    h = await startHarness({ env: { REDIS_URL: redis.url }, provisioners: { container: createEchoProvisioner() }, workers: true });
  });
  afterAll(async () => {
    if (h) await answered(h.close(), 'closing the service', 20_000).catch(() => undefined);
    await redis?.close();
  });

  const call = (opts: InjectOptions): Promise<LightMyRequestResponse> => answered(h.app.inject(opts), `${opts.method} ${opts.url}`);
  const list = () => call({ method: 'GET', url: '/v1/environments', headers: h.auth });
  const create = () => call({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'OUTAGE-1' }, image: 'debian-12' } });

  it('answers 503 redis_unavailable while Redis is down, creates nothing, and recovers by itself', async () => {
    expect((await list()).statusCode).toBe(200);

    await redis.kill();
    const down = await list();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ error: { code: 'redis_unavailable', message: expect.stringContaining('Redis') } });
    const refused = await create();
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('redis_unavailable');
    const ready = await call({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);

    await redis.start();
    // The connection comes back on its own; this Redis kept no data, so the token is registered again.
    await waitFor(async () => ((await call({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined), 15_000, 'readiness after Redis returned');
    await h.deps.tokens.register(h.requesterToken, 'alice', 'requester');
    const back = await list();
    expect(back.statusCode).toBe(200);
    // The request refused during the outage was not queued to run later.
    expect(back.json().items).toEqual([]);
    // The workers reconnected too: a new request is provisioned.
    const again = await create();
    expect(again.statusCode, again.body).toBe(202);
    await waitFor(async () => ((await h.deps.store.get(again.json().id))?.state === 'ready' ? true : undefined), 15_000, 'a request after the outage to be ready');
  });

  it('answers 503 when Redis keeps the connection but stops answering, then serves again', async () => {
    expect((await list()).statusCode).toBe(200);
    redis.freeze();
    try {
      const hung = await list();
      expect(hung.statusCode).toBe(503);
      expect(hung.json().error.code).toBe('redis_unavailable');
    } finally {
      redis.thaw();
    }
    await waitFor(async () => ((await list()).statusCode === 200 ? true : undefined), 15_000, 'answers after Redis woke up');
  });
});

describe('starting while Redis is unreachable', () => {
  it('says so plainly, keeps trying, and listens once Redis answers', async () => {
    const redis = await ownRedis();
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/api.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: {
        ...process.env, REDIS_URL: redis.url, PORT: String(port), HOST: '127.0.0.1', REPRO_KINDS: 'container',
        REPRO_REDIS_PREFIX: `test-start-${port}`, REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-start-')), LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      await waitFor(async () => (stderr.includes(`Redis at redis://127.0.0.1:${redis.port}`) && stderr.includes('is unreachable') ? true : undefined), 30_000, 'the unreachable-Redis message');
      expect(stdout).not.toContain('listening');
      await redis.start();
      await waitFor(async () => (stdout.includes('repro is listening') ? true : undefined), 30_000, 'the service to listen');
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      const exited = new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
      child.kill('SIGTERM');
      await answered(exited, 'a graceful exit', 15_000).catch(() => child.kill('SIGKILL'));
      await redis.close();
    }
  });
});
