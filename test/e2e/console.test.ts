import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { WebSocket } from 'ws';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { LABELS } from '../../src/provisioners/port.js';
import { startHarness, type Harness } from '../support/harness.js';
import { CHROMIUM, launchChromium } from '../support/launchChromium.js';
import { oidcEnv, startOidcProvider, type TestProvider } from '../support/oidcProvider.js';
import { freePort } from '../support/freePort.js';

const ROOT = join(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'docs/screenshots');

/**
 * The console in a real Chromium (Debian's, driven by playwright-core) against the whole service
 * (real Redis, BullMQ workers, Docker engine) and a real OpenID provider started here.
 */
describe('web console in Chromium with single sign-on', () => {
  const docker = new Docker();
  let provider: TestProvider;
  let h: Harness;
  let browser: Browser;
  let base = '';
  let alice: BrowserContext;
  let page: Page;
  let env: EnvironmentRecord;
  let bobs: EnvironmentRecord;

  beforeAll(async () => {
    // scripts/setup-console installs Chromium and builds the console: both must be there.
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup`).toBe(true);
    expect(existsSync(join(ROOT, 'web/dist/index.html')), 'web/dist missing: run npm run build:web').toBe(true);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      redirectUri: `${base}/auth/callback`,
      postLogoutRedirectUri: `${base}/login`,
      groups: { alice: ['repro-users'], root: ['repro-admins', 'repro-users'], mallory: ['visitors'] },
    });
    h = await startHarness({
      provisioners: { container: createDockerProvisioner({ hostId: 'test' }) },
      workers: true,
      env: { ...oidcEnv(provider, base, 'repro-users=requester,repro-admins=admin'), REPRO_CONSOLE_DIR: join(ROOT, 'web/dist') },
    });
    await h.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    alice = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    page = await alice.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await provider?.close();
  });

  /** Through the provider's own login and consent pages, as a person would. */
  async function signIn(p: Page, login: string): Promise<void> {
    await p.goto(`${base}/`);
    await p.getByRole('link', { name: /single sign-on|authentification unique/ }).click();
    await p.locator('input[name=login]').fill(login);
    await p.locator('input[name=password]').fill('any password');
    await p.locator('button[type=submit]').click();
    await p.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs a requester in through the OpenID provider, with a session cookie', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => page.url()).toContain('/login');
    await page.getByRole('heading', { name: 'Sign in to repro' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'login.png') });

    await signIn(page, 'alice');
    await page.getByText('Signed in as alice (requester)').waitFor();
    const cookie = (await alice.cookies(base)).find((c) => c.name === 'repro_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    // Plain http here, so not Secure; https publicUrls get Secure cookies.
    expect(cookie?.secure).toBe(false);

    // First page load, measured by the browser (printed, not asserted: speed targets are benches).
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { domContentLoaded: Math.round(nav.domContentLoadedEventEnd), load: Math.round(nav.loadEventEnd) };
    });
    process.stdout.write(`console first page load on loopback: DOMContentLoaded ${timing.domContentLoaded} ms, load ${timing.load} ms\n`);
  });

  it('requests a Debian 12 environment with curl from the form, validating packages as they are typed, and follows it to ready live', async () => {
    await page.getByRole('link', { name: 'New environment' }).click();
    await page.getByRole('heading', { name: 'Request an environment' }).waitFor();
    await page.getByLabel('Ticket number').fill('T-4211');
    await page.getByLabel('Image').selectOption('debian-12');
    const packages = page.getByLabel('Packages', { exact: true });
    await page.getByLabel('Lifetime (TTL)').fill('2h');
    await packages.fill('curl Bad_Name!');
    await expect.poll(() => page.locator('#packages-error').textContent()).toContain('"Bad_Name!" is not a valid debian package name');
    expect(await packages.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Request' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'request.png'), fullPage: true });
    await packages.fill('curl');
    await expect.poll(() => page.locator('#packages-error').textContent()).toBe('');
    await page.getByRole('button', { name: 'Request' }).click();

    await expect.poll(() => page.url()).toMatch(/\/environments\/[a-z0-9-]+$/);
    const id = page.url().split('/').pop()!;
    // The page follows the event stream: ready shows up without a reload.
    await page.locator('h1 [data-state=ready]').waitFor({ timeout: 240_000 });
    await page.locator('.events li', { hasText: 'ready' }).first().waitFor();
    expect(await page.locator('.events li').count()).toBeGreaterThan(2);
    await page.getByText('Command:').waitFor();
    await page.screenshot({ path: join(SHOTS, 'environment.png') });
    env = (await h.app.inject({ method: 'GET', url: `/v1/environments/${id}`, headers: h.auth })).json();
    expect(env).toMatchObject({ state: 'ready', requester: 'alice', image: 'debian-12', packages: ['curl'], ticket: { system: 'generic', id: 'T-4211' } });

    await page.getByRole('link', { name: 'Environments' }).click();
    const row = page.getByRole('row', { name: new RegExp(env.id) });
    await row.waitFor();
    expect(await row.textContent()).toContain('generic:T-4211');
    await page.screenshot({ path: join(SHOTS, 'environments.png') });
  });

  it('lists the environment as live updates arrive, without a reload', async () => {
    // Another of alice's environments, asked for outside the browser: the open list picks it up by itself.
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'redmine', id: '77' }, image: 'debian-12', ttl: '30m' } });
    expect(res.statusCode, res.body).toBe(202);
    const other = res.json() as EnvironmentRecord;
    await page.getByRole('row', { name: new RegExp(other.id) }).waitFor({ timeout: 20_000 });
    await page.getByLabel('Ticket system').selectOption('redmine');
    expect(await page.getByRole('row', { name: new RegExp(env.id) }).count()).toBe(0);
    await page.getByLabel('Ticket system').selectOption('');
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${other.id}`, headers: h.auth });
  });

  it('extends the environment', async () => {
    await page.goto(`${base}/environments/${env.id}`);
    await page.locator('h1 [data-state=ready]').waitFor();
    await page.getByLabel('Extend by').selectOption('2d');
    await page.getByRole('button', { name: 'Extend' }).click();
    await page.getByText('Now expires').waitFor();
    const after = (await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: h.auth })).json() as EnvironmentRecord;
    expect(Date.parse(after.expiresAt) - Date.now()).toBeGreaterThan(47 * 3600 * 1000);
  });

  it('works in the environment through the terminal: cat /etc/os-release reads bookworm', async () => {
    await page.goto(`${base}/environments/${env.id}`);
    await page.locator('h1 [data-state=ready]').waitFor();
    await page.getByRole('button', { name: 'Open a terminal' }).click();
    const screen = page.locator('.terminal .xterm-rows');
    await screen.waitFor();
    // The shell's prompt first, then the keystrokes go through the WebSocket into the container's TTY.
    await expect.poll(() => screen.textContent(), { timeout: 20_000 }).toMatch(/[#$]\s*$/m);
    await page.locator('.terminal .xterm-helper-textarea').focus();
    await page.keyboard.type('cat /etc/os-release\n');
    await expect.poll(() => screen.textContent(), { timeout: 20_000 }).toContain('VERSION_CODENAME=bookworm');
    await screen.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'terminal.png') });
    await page.getByRole('button', { name: 'Close the terminal' }).click();
    // The session is listed once it has ended, with its transcript.
    await page.getByRole('link', { name: 'Download the transcript' }).first().waitFor({ timeout: 20_000 });
  });

  it('opens the terminal by itself when the page is loaded with #terminal (the ticket comment\'s link)', async () => {
    await page.goto(`${base}/`);
    await page.goto(`${base}/environments/${env.id}#terminal`);
    const screen = page.locator('.terminal .xterm-rows');
    await expect.poll(() => screen.textContent(), { timeout: 20_000 }).toMatch(/[#$]\s*$/m);
    await page.getByRole('button', { name: 'Close the terminal' }).click();
    await page.getByRole('button', { name: 'Open a terminal' }).waitFor();
  });

  it('refuses a cookie-authenticated change from another site', async () => {
    const cookie = (await alice.cookies(base)).find((c) => c.name === 'repro_session')!;
    const extend = (headers: Record<string, string>) => fetch(`${base}/v1/environments/${env.id}/extend`, {
      method: 'POST', headers: { cookie: `repro_session=${cookie.value}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ ttl: '1h' }),
    });
    const forged = await extend({ origin: 'http://evil.example' });
    expect(forged.status).toBe(403);
    expect((await forged.json()).error.message).toContain('x-repro-csrf');
    expect((await extend({ 'x-repro-csrf': '1' })).status).toBe(200);
    expect((await extend({ origin: base })).status).toBe(200);
    // A page elsewhere cannot open the terminal with the cookie: WebSockets ignore CORS, so the Origin decides.
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/environments/${env.id}/terminal`, { headers: { cookie: `repro_session=${cookie.value}`, origin: 'http://evil.example' } });
      // The refused handshake ends in an error event once its response is dropped.
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (req, res) => { resolve(res.statusCode ?? 0); req.destroy(); });
      ws.on('open', () => { resolve(101); ws.close(); });
    });
    expect(refused).toBe(403);
  });

  it('deletes the environment only after confirmation', async () => {
    await page.goto(`${base}/environments/${env.id}`);
    await page.locator('h1 [data-state=ready]').waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this environment?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: h.auth })).json().state).toBe('ready');

    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deletion started.').waitFor();
    await page.locator('h1 [data-state=destroyed]').waitFor({ timeout: 60_000 });
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${env.id}`] } });
    expect(containers).toHaveLength(0);
  });

  it('works from the keyboard: skip link, then the request form by Tab and Enter', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.getByRole('link', { name: 'New environment' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Request an environment' }).waitFor();
    // The new page's heading takes the focus, so a screen reader announces it.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('system');
  });

  it('switches to French', async () => {
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('link', { name: 'Environnements' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Environments' }).waitFor();
  });

  it('does not show a requester another requester\'s environments', async () => {
    const bobToken = await h.deps.tokens.issue('bob', 'requester');
    const res = await fetch(`${base}/v1/environments`, {
      method: 'POST', headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { system: 'generic', id: 'BOB-1' }, image: 'debian-12' }),
    });
    expect(res.status).toBe(202);
    bobs = await res.json() as EnvironmentRecord;
    // Asking for the desk's view in the address gives a requester its own, and no choice of it.
    await page.goto(`${base}/?scope=desk`);
    await page.getByRole('row', { name: new RegExp(env.id) }).waitFor();
    expect(await page.getByRole('row', { name: new RegExp(bobs.id) }).count()).toBe(0);
    expect(await page.getByRole('radio', { name: "The desk's" }).count()).toBe(0);
    await page.goto(`${base}/environments/${bobs.id}`);
    await page.getByText(`environment ${bobs.id} does not exist`).waitFor();
  });

  it('answers 403 with a page when none of the person\'s groups maps to a role', async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`${base}/`);
    await p.getByRole('link', { name: /single sign-on/ }).click();
    await p.locator('input[name=login]').fill('mallory');
    await p.locator('input[name=password]').fill('any password');
    await p.locator('button[type=submit]').click();
    const [response] = await Promise.all([
      p.waitForResponse((r) => r.url().startsWith(`${base}/auth/callback`)),
      p.getByRole('button', { name: 'Continue' }).click(),
    ]);
    expect(response.status()).toBe(403);
    await p.getByRole('heading', { name: '403: no access to repro' }).waitFor();
    expect((await context.cookies(base)).some((c) => c.name === 'repro_session')).toBe(false);
    await context.close();
  });

  it('shows admins the queue dashboard, images and tokens; a requester gets 403 on the dashboard', async () => {
    const requesterDashboard = await page.goto(`${base}/admin/queues`);
    expect(requesterDashboard?.status()).toBe(403);
    expect((await page.request.get(`${base}/admin/queues/api/queues`)).status()).toBe(403);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    const admin = await context.newPage();
    await signIn(admin, 'root');
    await admin.getByText('Signed in as root (admin)').waitFor();

    // Admins (like support) see the desk's environments, bob's included.
    await admin.getByRole('radio', { name: "The desk's" }).check();
    await admin.getByRole('row', { name: new RegExp(bobs.id) }).waitFor();

    await admin.getByRole('link', { name: 'Images' }).click();
    await admin.getByRole('cell', { name: 'debian-12', exact: true }).waitFor();
    // A rebuild of the same inputs is quick (nothing to do); its log still streams to its end.
    await admin.getByRole('button', { name: 'Rebuild debian-12' }).click();
    const build = admin.getByRole('heading', { name: /Build build-[0-9a-f]+ of debian-12/ });
    await build.waitFor();
    await expect.poll(() => build.textContent(), { timeout: 240_000 }).toContain('succeeded');
    await admin.screenshot({ path: join(SHOTS, 'images.png'), fullPage: true });

    await admin.getByRole('link', { name: 'Tokens' }).click();
    await admin.getByLabel('Name').fill('ci-bot');
    await admin.getByRole('button', { name: 'Create the token' }).click();
    const token = (await admin.locator('code.secret').textContent())!.trim();
    expect(token).toMatch(/^rp_/);
    expect(await h.deps.tokens.lookup(token)).toEqual({ name: 'ci-bot', role: 'requester' });
    const row = admin.getByRole('row', { name: /ci-bot/ });
    await row.waitFor();
    await admin.screenshot({ path: join(SHOTS, 'tokens.png') });
    admin.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await h.deps.tokens.lookup(token)).toBeUndefined();

    const dashboard = await admin.goto(`${base}/admin/queues`);
    expect(dashboard?.status()).toBe(200);
    await admin.getByText('provision-container').first().click();
    await admin.getByText('Loading...').waitFor({ state: 'hidden' });
    await admin.getByText(/completed/i).first().waitFor();
    await admin.screenshot({ path: join(SHOTS, 'queues.png') });
    await context.close();
  });

  it('signs out', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks whether to end its own session too.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await expect.poll(() => page.url()).toContain('/login');
    const me = await page.request.get(`${base}/v1/me`);
    expect(me.status()).toBe(401);
  });
});
