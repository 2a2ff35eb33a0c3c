import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { startHarness, type Harness } from '../support/harness.js';
import { CHROMIUM, launchChromium } from '../support/launchChromium.js';
import { oidcEnv, startOidcProvider, type TestProvider } from '../support/oidcProvider.js';
import { freePort } from '../support/freePort.js';
import { runRepro } from '../support/runRepro.js';


/** The real `repro` binary with its own configuration directory; `onStderr` sees stderr as it comes. */
const repro = (args: string[], env: Record<string, string>, onStderr?: (text: string) => void, signal?: AbortSignal, stdin = '') =>
  runRepro(args, { env, stdin, timeoutMs: 240_000, ...(onStderr ? { onStderr } : {}), ...(signal ? { signal } : {}) });

/** `repro login --sso` end to end: the real binary, the real service, the real OpenID provider, Chromium as the person's browser. */
describe('repro login --sso', () => {
  let base: string;
  let provider: TestProvider;
  let h: Harness;
  let browser: Browser;
  const home = mkdtempSync(join(tmpdir(), 'repro-cli-sso-'));
  const user = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  const configFile = join(home, '.config/repro/config.json');

  beforeAll(async () => {
    // scripts/setup-console installs Chromium: it must be there.
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup`).toBe(true);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({ redirectUri: `${base}/auth/callback`, postLogoutRedirectUri: `${base}/login`, groups: { alice: ['repro-users'] } });
    h = await startHarness({
      provisioners: { container: createDockerProvisioner({ hostId: 'test' }) },
      workers: true,
      env: oidcEnv(provider, base, 'repro-users=requester'),
    });
    await h.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await provider?.close();
  });

  it('signs in through the browser, saves the session (0600), and the API and terminal accept it; logout ends it', async () => {
    // The browser part, as a person does it: the printed URL, the provider's login and consent, then Allow.
    let opened: Promise<string> | undefined;
    const page = await (await browser.newContext()).newPage();
    const login = repro(['login', '--sso', base, '--no-browser'], user, (stderr) => {
      const url = /(http:\/\/127\.0\.0\.1:\d+\/auth\/cli\?\S+)/.exec(stderr)?.[1];
      if (url && !opened) {
        opened = (async () => {
          await page.goto(url);
          await page.locator('input[name=login]').fill('alice');
          await page.locator('input[name=password]').fill('any password');
          await page.locator('button[type=submit]').click();
          await page.getByRole('button', { name: 'Continue' }).click();
          await page.getByRole('button', { name: 'Allow / Autoriser' }).click();
          await page.getByRole('heading', { name: 'The repro command line is signed in' }).waitFor();
          return page.url();
        })();
      }
    });
    const done = await login;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`logged in to ${base} as alice (requester)`);
    expect(new URL(await opened!).pathname).toBe('/callback');

    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(configFile, 'utf8')) as { url: string; session: string; token?: string };
    expect(saved.url).toBe(base);
    expect(saved.token).toBeUndefined();
    expect(await h.deps.sessions.lookup(saved.session)).toEqual({ name: 'alice', role: 'requester' });

    // A read, a state-changing call (needs the CSRF header: 403 → exit 4 without it, here 404 → 3) and the terminal WebSocket (needs the Origin: 4404 → 3).
    const ls = await repro(['--json', 'env', 'ls'], user);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const extend = await repro(['env', 'extend', 'env-nope', '--ttl', '1h'], user);
    expect(extend.code, extend.stderr).toBe(3);
    const shell = await repro(['shell', 'env-nope'], user);
    expect(shell.stderr).not.toContain('Origin');
    expect(shell.code, shell.stderr).toBe(3);

    // The real work with the session: create (POST), exec, a piped shell over the WebSocket, rm.
    const created = await repro(['--json', 'env', 'create', '--ticket', 'generic:SSO-1', '--image', 'debian-12', '--wait'], user);
    expect(created.code, created.stderr).toBe(0);
    const record = JSON.parse(created.stdout) as { id: string; requester: string; state: string };
    expect(record).toMatchObject({ requester: 'alice', state: 'ready' });
    const envId = record.id;
    const cat = await repro(['exec', envId, '--', 'cat', '/etc/os-release'], user);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toContain('VERSION_CODENAME=bookworm');
    const piped = await repro(['shell', envId], user, undefined, undefined, 'echo sso-$((6*7))\n');
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('sso-42');
    const rm = await repro(['env', 'rm', envId, '--wait'], user);
    expect(rm.code, rm.stderr).toBe(0);

    const out = await repro(['logout'], user);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('session ended on the server');
    expect(existsSync(configFile)).toBe(false);
    expect(await h.deps.sessions.lookup(saved.session)).toBeUndefined();
    const after = await repro(['env', 'ls'], user);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain('not logged in');
  }, 400_000);

  it('exits 4 and says to log in again when the saved session has ended', async () => {
    const cookie = await h.deps.sessions.create({ name: 'alice', role: 'requester' }, 60);
    await h.deps.sessions.destroy(cookie);
    mkdirSync(join(home, '.config/repro'), { recursive: true });
    writeFileSync(configFile, JSON.stringify({ url: base, session: cookie }), { mode: 0o600 });
    const ls = await repro(['env', 'ls'], user);
    expect(ls.code).toBe(4);
    expect(ls.stderr).toContain(`repro login --sso ${base}`);
    const shell = await repro(['shell', 'env-nope'], user);
    expect(shell.code).toBe(4);
    expect(shell.stderr).toContain(`repro login --sso ${base}`);
  }, 60_000);

  it('refuses a hand-off with another state and keeps waiting', async () => {
    let port: number | undefined;
    const stop = new AbortController();
    const login = repro(['login', '--sso', base, '--no-browser'], { ...user, XDG_CONFIG_HOME: join(home, 'other') }, (stderr) => {
      port ??= Number(/\/auth\/cli\?port=(\d+)/.exec(stderr)?.[1]) || undefined;
    }, stop.signal);
    await expect.poll(() => port, { timeout: 30_000 }).toBeDefined();
    const forged = await fetch(`http://127.0.0.1:${port}/callback?state=${'x'.repeat(32)}&session=stolen`);
    expect(forged.status).toBe(400);
    const still = await Promise.race([login, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 1000))]);
    expect(still).toBe('waiting');
    stop.abort();
    await login;
    expect(existsSync(join(home, 'other/repro/config.json'))).toBe(false);
  }, 60_000);
});
