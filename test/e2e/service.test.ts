import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, waitFor } from '../support/harness.js';
import { freePort } from '../support/freePort.js';
import { readEventStream } from '../../src/cli/readEventStream.js';

/** Reads server-sent events until `stop` says so; returns what it saw. */
async function readEvents(url: string, token: string, stop: (e: { type: string; state?: string }) => boolean, timeoutMs: number) {
  const seen: Array<{ type: string; state?: string; message: string }> = [];
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: AbortSignal.timeout(timeoutMs) });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  for await (const event of readEventStream<{ type: string; state?: string; message: string }>(res)) {
    seen.push(event);
    if (stop(event)) return seen;
  }
  return seen;
}

/** The whole service as `npm start` runs it, over a real socket. */
describe('repro service end to end', () => {
  const prefix = `e2e-${randomBytes(4).toString('hex')}`;
  const token = `e2e-admin-${randomBytes(16).toString('hex')}`;
  let base = '';
  let service: ChildProcess;
  let output = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REPRO_REDIS_PREFIX: prefix, REPRO_HOST_ID: prefix, REPRO_ADMIN_TOKEN: token, REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-e2e-')), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    service.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    await waitFor(async () => (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) || undefined, 60_000, `the service to be ready; output:\n${output}`);
  });

  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('prints where it listens and where the admin token is', () => {
    expect(output).toContain(`repro is listening on ${base}`);
    expect(output).toContain('admin token: REPRO_ADMIN_TOKEN');
  });

  it('takes the done-when request to ready, runs curl in it, follows events live, and tears it down', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/v1/environments`, {
      method: 'POST', headers,
      body: JSON.stringify({ ticket: { system: 'generic', id: 'T-1' }, image: 'debian-12', packages: ['curl'] }),
    });
    expect(created.status).toBe(202);
    const env = await created.json() as { id: string; state: string };
    expect(env.state).toBe('requested');

    const untilReady = await readEvents(`${base}/v1/environments/${env.id}/events`, token, (e) => e.state === 'ready' || e.state === 'failed', 180_000);
    expect(untilReady.at(-1)?.state).toBe('ready');
    expect(untilReady.map((e) => e.type)).toEqual(expect.arrayContaining(['requested', 'provisioning', 'progress', 'ready']));

    const exec = await fetch(`${base}/v1/environments/${env.id}/exec`, { method: 'POST', headers, body: JSON.stringify({ command: ['curl', '--version'] }) });
    expect(exec.status).toBe(200);
    expect(((await exec.json()) as { exitCode: number }).exitCode).toBe(0);

    const del = await fetch(`${base}/v1/environments/${env.id}`, { method: 'DELETE', headers: { authorization: headers.authorization } });
    expect(del.status).toBe(202);
    const rest = await readEvents(`${base}/v1/environments/${env.id}/events`, token, (e) => e.state === 'destroyed', 60_000);
    expect(rest.at(-1)?.state).toBe('destroyed');
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    service.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
