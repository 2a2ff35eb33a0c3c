import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/freePort.js';
import { deleteKeys, waitFor } from '../support/harness.js';

/** The API process as `npm run start:api` runs it, stopped while a client holds a request open. */
describe('shutdown deadline', () => {
  const prefix = `shutdown-${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('exits with code 1 once REPRO_SHUTDOWN_TIMEOUT_MS has passed, naming what was still closing', async () => {
    const port = await freePort();
    const service = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/api.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: {
        ...process.env, PORT: String(port), HOST: '127.0.0.1', REPRO_REDIS_PREFIX: prefix, REPRO_HOST_ID: prefix,
        REPRO_ADMIN_TOKEN: `shutdown-admin-${randomBytes(16).toString('hex')}`, REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-shutdown-')),
        REPRO_SHUTDOWN_TIMEOUT_MS: '1500', LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    service.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    service.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    let held: Socket | undefined;
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) || undefined, 60_000, `the API to answer; output:\n${output}`);
      // A delivery whose body never finishes arriving: closing the HTTP server waits for it.
      await new Promise<void>((resolve, reject) => {
        held = connect(port, '127.0.0.1');
        held.once('error', reject);
        held.write(`POST /v1/webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"event":`, () => resolve());
      });
      await new Promise((r) => setTimeout(r, 200));
      const signalled = Date.now();
      service.kill('SIGTERM');
      const code = await exited;
      const took = Date.now() - signalled;
      expect(code).toBe(1);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(6000);
      const report = output.split('\n').find((line) => line.includes('shutdown deadline passed'));
      expect(report).toContain('"pending":["http server","workers","connections"]');
    } finally {
      held?.destroy();
      if (service.exitCode === null) service.kill('SIGKILL');
    }
  });
});
