import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

export interface LocalRegistry {
  /** `127.0.0.1:port`, the form images.registry.url takes. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry (distribution 2.8, installed by scripts/setup-images) on 127.0.0.1 with
 * its own storage; the engine treats loopback registries as plain-HTTP ones by default.
 */
export async function startLocalRegistry(opts: { username?: string; password?: string } = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'repro-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  const auth: string[] = [];
  if (opts.username && opts.password) {
    // The registry's htpasswd file takes bcrypt hashes; Python's crypt (libxcrypt) makes them.
    const hash = execFileSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', opts.password]).toString().trim();
    writeFileSync(join(dir, 'htpasswd'), `${opts.username}:${hash}\n`);
    auth.push('auth:', '  htpasswd:', '    realm: repro-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ...auth, '',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()).slice(-4000));
  const url = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    // With htpasswd the base answers 401: it is up all the same.
    const ok = await fetch(`http://${url}/v2/`).then((r) => r.ok || r.status === 401, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`docker-registry did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill();
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
