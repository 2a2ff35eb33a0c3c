import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/**
 * A throwaway redis-server of the test's own on a loopback port, without persistence, that the
 * test may stop, freeze and start again: the shared Redis is never touched.
 */
export interface OwnRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL, like a crash; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections but answers nothing. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function ownRedis(port?: number): Promise<OwnRedis> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'repro-redis-'));
  let child: ChildProcess | undefined;
  const answers = () => new Promise<boolean>((resolve) => {
    const s = connect(p, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')); });
  });
  const r: OwnRedis = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    async start() {
      child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        if (await answers()) return;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`redis-server on port ${p} did not answer`);
    },
    async kill() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((res) => c.once('exit', res));
      c.kill('SIGCONT');
      c.kill('SIGKILL');
      await gone;
    },
    freeze() { child?.kill('SIGSTOP'); },
    thaw() { child?.kill('SIGCONT'); },
    async close() {
      await r.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}
