import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/provisioners/port.js';
import { deleteKeys, waitFor } from '../support/harness.js';
import { freePort } from '../support/freePort.js';
import { runRepro } from '../support/runRepro.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/repro.js');

/** The real `repro` binary, as a user runs it, with its own configuration directory. */
const repro = runRepro;

/** The CLI against the whole service (`src/entrypoints/main.ts`) listening on 127.0.0.1, with real Redis and Docker. */
describe('repro CLI end to end', () => {
  const prefix = `cli-${randomBytes(4).toString('hex')}`;
  const adminToken = `cli-admin-${randomBytes(16).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'repro-cli-home-'));
  const config = mkdtempSync(join(tmpdir(), 'repro-cli-config-'));
  const user = { HOME: home, XDG_CONFIG_HOME: config };
  let base = '';
  let service: ChildProcess;
  let output = '';
  let envId = '';
  let requesterToken = '';

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/main.ts'], {
      cwd: root,
      env: {
        ...process.env, PORT: String(port), HOST: '127.0.0.1', REPRO_REDIS_PREFIX: prefix, REPRO_HOST_ID: prefix,
        REPRO_ADMIN_TOKEN: adminToken, REPRO_KINDS: 'container', REPRO_DATA_DIR: mkdtempSync(join(tmpdir(), 'repro-cli-data-')), LOG_LEVEL: 'warn',
        // The live install lines are under test: a package-set snapshot an earlier run left on this engine would skip them.
        REPRO_SNAPSHOTS_MAX_COUNT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    service.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    await waitFor(async () => (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) || undefined, 60_000, `the service to be ready; output:\n${output}`);
    const admin = { REPRO_URL: base, REPRO_TOKEN: adminToken };
    const created = await repro(['--json', 'tokens', 'create', 'cli-alice', '--role', 'requester'], { env: { ...user, ...admin } });
    expect(created.code, created.stderr).toBe(0);
    requesterToken = JSON.parse(created.stdout).token;
  });

  afterAll(async () => {
    if (envId) await fetch(`${base}/v1/environments/${envId}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } }).catch(() => undefined);
    if (envId) await waitFor(async () => {
      const res = await fetch(`${base}/v1/environments/${envId}`, { headers: { authorization: `Bearer ${adminToken}` } }).catch(() => undefined);
      return !res || ((await res.json()) as { state: string }).state === 'destroyed' || undefined;
    }, 60_000, 'the environment to be destroyed').catch(() => undefined);
    if (service?.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    // Whatever a failed run left: everything carrying this service's instance label.
    const docker = new Docker();
    const mine = { filters: { label: [`${LABELS.instance}=${prefix}`] } };
    for (const c of await docker.listContainers({ all: true, ...mine })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const n of await docker.listNetworks(mine)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('refuses to work before login (exit 4), rejects a bad token (exit 4), and saves a good one with mode 0600', async () => {
    expect((await repro(['env', 'ls'], { env: user })).code).toBe(4);
    const bad = await repro(['login', '--url', base, '--token', 'rp_nope'], { env: user });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('token');
    // Single sign-on needs the service's URL (test/e2e/cliSso.test.ts signs in for real).
    const sso = await repro(['login', '--sso'], { env: user });
    expect(sso.code).toBe(2);
    expect(sso.stderr).toContain('(field: url)');

    // On a terminal the token is asked for and not echoed.
    const prompted = spawn('script', ['-qfec', `${process.execPath} ${bin} login --url ${base}`, '/dev/null'], { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', ...user }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    prompted.stdout.on('data', (d: Buffer) => { screen += d.toString(); });
    const promptExit = new Promise<number | null>((resolve) => prompted.on('exit', resolve));
    await waitFor(async () => (screen.includes('API token: ') ? true : undefined), 20_000, `the token prompt; got:\n${screen}`);
    prompted.stdin.write(`${requesterToken}\r`);
    expect(await promptExit, screen).toBe(0);
    prompted.stdin.end();
    expect(screen).toContain(`logged in to ${base}`);
    expect(screen).not.toContain(requesterToken);
    const file = join(config, 'repro', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: base, token: requesterToken });

    const ok = await repro(['login', '--url', base], { env: user, stdin: `${requesterToken}\n` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: base, token: requesterToken });
  });

  it('answers usage errors with exit 2 naming what is wrong', async () => {
    const missing = await repro(['env', 'create', '--image', 'debian-12'], { env: user });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--ticket');
    const badTicket = await repro(['env', 'create', '--ticket', 'nocolon', '--image', 'debian-12'], { env: user });
    expect(badTicket.code).toBe(2);
    expect(badTicket.stderr).toContain('--ticket must be SYSTEM:ID');
    const badPackage = await repro(['env', 'create', '--ticket', 'generic:CLI-0', '--image', 'debian-12', '-p', 'curl;rm'], { env: user });
    expect(badPackage.code).toBe(2);
    expect(badPackage.stderr).toContain('packages');
  });

  it('create --wait shows the package installation live and prints how to connect', async () => {
    const run = await repro(['env', 'create', '--ticket', 'generic:CLI-1', '--image', 'debian-12', '-p', 'jq', '--wait'], { env: user, timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^  Setting up jq /m);
    const id = /^(env-[a-f0-9]{12})\s+ready$/m.exec(run.stdout)?.[1];
    expect(id, run.stdout).toBeDefined();
    envId = id!;
    expect(run.stdout).toContain(`Connect with: repro shell ${envId}`);

    const shown = await repro(['--json', 'env', 'show', envId], { env: user });
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: envId, state: 'ready', packages: ['jq'], requester: 'cli-alice', access: { command: `repro shell ${envId}` } });
    const listed = await repro(['env', 'ls', '--json'], { env: user });
    expect(JSON.parse(listed.stdout).map((e: { id: string }) => e.id)).toContain(envId);
    const table = await repro(['env', 'ls'], { env: user });
    expect(table.stdout).toMatch(new RegExp(`^${envId}\\s+ready\\s+container\\s+debian-12\\s+generic:CLI-1`, 'm'));
  });

  it('exec prints the output and exits with the command\'s code', async () => {
    const cat = await repro(['exec', envId, '--', 'cat', '/etc/os-release'], { env: user });
    expect(cat.code).toBe(0);
    expect(cat.stdout).toContain('VERSION_CODENAME=bookworm');
    const failing = await repro(['exec', envId, '--', 'sh', '-c', 'echo oops >&2; exit 7'], { env: user });
    expect(failing.code).toBe(7);
    expect(failing.stderr).toContain('oops');
  });

  it('shell gives an interactive terminal through a pseudo-terminal', async () => {
    // script(1) runs the CLI on a pseudo-terminal, as in a user's terminal; -e passes its exit code on.
    const child = spawn('script', ['-qfec', `${process.execPath} ${bin} shell ${envId}`, '/dev/null'], { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', ...user, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    child.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor(async () => (/[#$] $/m.test(seen) ? true : undefined), 20_000, `a prompt; got:\n${seen}`);
    child.stdin.write('cat /etc/os-release; tty\r');
    await waitFor(async () => (/VERSION_CODENAME=bookworm/.test(seen) && /\/dev\/pts\/\d+/.test(seen) ? true : undefined), 20_000, `os-release in the shell; got:\n${seen}`);
    child.stdin.write('exit\r');
    expect(await exited).toBe(0);
    child.stdin.end();

    // Piped input, no terminal: its end ends the shell.
    const piped = await repro(['shell', envId], { env: user, stdin: 'echo piped-$((6*7))\n' });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('piped-42');

    const events = await repro(['events', envId], { env: user });
    expect(events.stdout).toMatch(/terminal\.started\s+cli-alice/);
    expect(events.stdout).toMatch(/terminal\.ended\s+cli-alice/);
  });

  it('extends, reports a missing environment with exit 3, and removes with --wait', async () => {
    const extended = await repro(['env', 'extend', envId, '--ttl', '1d'], { env: user });
    expect(extended.code).toBe(0);
    expect(extended.stdout).toContain('now expires at');
    expect((await repro(['env', 'show', 'env-000000000000'], { env: user })).code).toBe(3);

    const removed = await repro(['env', 'rm', envId, '--wait'], { env: user, timeoutMs: 120_000 });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`${envId} destroyed`);
    const shell = await repro(['shell', envId], { env: user });
    expect(shell.code).toBe(5);
    expect(shell.stderr).toContain('not ready');
    envId = '';
  });

  it('images ls for anyone; tokens ls and rm for an admin, refused to a requester (exit 4)', async () => {
    const images = await repro(['images', 'ls'], { env: user });
    expect(images.code).toBe(0);
    expect(images.stdout).toMatch(/^debian-12\s+debian 12\s+debian\s+container,vm/m);
    expect((await repro(['tokens', 'ls'], { env: user })).code).toBe(4);

    const admin = { ...user, REPRO_URL: base, REPRO_TOKEN: adminToken };
    const listed = await repro(['tokens', 'ls'], { env: admin });
    expect(listed.stdout).toMatch(/^cli-alice\s+requester/m);
    expect(listed.stdout).not.toContain(requesterToken);
    expect((await repro(['tokens', 'rm', 'cli-alice'], { env: admin })).code).toBe(0);
    // The saved login no longer works.
    expect((await repro(['env', 'ls'], { env: user })).code).toBe(4);
    expect((await repro(['tokens', 'rm', 'cli-alice'], { env: admin })).code).toBe(3);
  });
});
