import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startOidcProvider, type TestProvider } from '../support/oidcProvider.js';

/** Sign-in routes, the session cookie's rules and the console's serving, against a real OpenID provider. */
describe('single sign-on and the console routes', () => {
  const base = 'http://127.0.0.1:3999';
  let provider: TestProvider;
  let h: Harness;

  beforeAll(async () => {
    provider = await startOidcProvider({ redirectUri: `${base}/auth/callback`, postLogoutRedirectUri: `${base}/login`, groups: {} });
    h = await startHarness({
      env: {
        REPRO_PUBLIC_URL: base,
        REPRO_OIDC_ISSUER: provider.issuer,
        REPRO_OIDC_CLIENT_ID: provider.clientId,
        REPRO_OIDC_CLIENT_SECRET: provider.clientSecret,
        REPRO_OIDC_ROLE_MAP: 'repro-users=requester',
        REPRO_CONSOLE_DIR: join(import.meta.dirname, '../../web/dist'),
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await provider?.close();
  });

  const tokenSession = async () => {
    const res = await h.app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-repro-csrf': '1' }, payload: { token: h.requesterToken } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'repro_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    return `repro_session=${cookie.value}`;
  };

  it('sends the browser to the provider with PKCE (S256), a state and a nonce, kept in Redis for one callback', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/auth/login?returnTo=/environments/env-1' });
    expect(res.statusCode).toBe(302);
    const to = new URL(res.headers.location as string);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback`);
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const state = to.searchParams.get('state')!;
    // A forged or replayed callback (unknown state) signs nobody in.
    const forged = await h.app.inject({ method: 'GET', url: `/auth/callback?code=abc&state=${state}x` });
    expect(forged.statusCode).toBe(302);
    expect(forged.headers.location).toBe('/login?error=sso_failed');
    expect(forged.cookies).toHaveLength(0);
  });

  it('never redirects back off the site', async () => {
    for (const returnTo of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const res = await h.app.inject({ method: 'GET', url: `/auth/login?returnTo=${encodeURIComponent(returnTo)}` });
      const state = new URL(res.headers.location as string).searchParams.get('state')!;
      expect(await h.deps.sessions.takePending(state)).toMatchObject({ returnTo: '/' });
    }
  });

  it('turns an API token into a session cookie the API accepts; the cookie alone cannot change state cross-site', async () => {
    const cookie = await tokenSession();
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } });
    expect(me.json()).toEqual({ name: 'alice', role: 'requester', sso: true });
    const body = { ticket: { system: 'generic', id: 'CSRF-1' }, image: 'debian-12' };
    const bare = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: { cookie }, payload: body });
    expect(bare.statusCode).toBe(403);
    expect(bare.json().error.code).toBe('forbidden');
    const foreignOrigin = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: { cookie, origin: 'http://evil.example' }, payload: body });
    expect(foreignOrigin.statusCode).toBe(403);
    // A WebSocket upgrade with the cookie needs a same-origin Origin, whatever the route.
    const upgrade = await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, upgrade: 'websocket', connection: 'upgrade', origin: 'http://evil.example' } });
    expect(upgrade.statusCode).toBe(403);
    const upgradeSame = await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, upgrade: 'websocket', connection: 'upgrade', origin: base } });
    expect(upgradeSame.statusCode).toBe(200);
    // Signing in with a token needs the console's header too.
    expect((await h.app.inject({ method: 'POST', url: '/auth/token', payload: { token: h.requesterToken } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-repro-csrf': '1' }, payload: { token: 'nope' } })).statusCode).toBe(401);
  });

  it('ends a session opened with a token when the token is revoked', async () => {
    const token = await h.deps.tokens.issue('carol', 'requester');
    const res = await h.app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-repro-csrf': '1' }, payload: { token } });
    const cookie = `repro_session=${res.cookies.find((c) => c.name === 'repro_session')!.value}`;
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).json()).toMatchObject({ name: 'carol' });
    expect(await h.deps.tokens.revoke('carol')).toBe(true);
    const after = await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('revoked');
  });

  it('counts failed token sign-ins against the address\'s failed-authentication budget', async () => {
    const budget = h.config.rateLimit.failedAuthMax;
    const attempt = () => h.app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-repro-csrf': '1' }, remoteAddress: '127.0.0.9', payload: { token: 'rp_guess' } });
    for (let i = 0; i < budget; i++) expect((await attempt()).statusCode).toBe(401);
    const over = await attempt();
    expect(over.statusCode).toBe(429);
    // Even the right token waits out the window from that address.
    const right = await h.app.inject({ method: 'POST', url: '/auth/token', headers: { 'x-repro-csrf': '1' }, remoteAddress: '127.0.0.9', payload: { token: h.requesterToken } });
    expect(right.statusCode).toBe(429);
  });

  it('logs out: the session is gone from Redis and the provider is asked to end its own', async () => {
    const cookie = await tokenSession();
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie, 'x-repro-csrf': '1' }, payload: {} });
    expect(out.statusCode).toBe(200);
    expect(new URL(out.json().redirect).origin).toBe(provider.issuer);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('serves the console for its own paths and keeps API answers JSON', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/environments/env-123' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<div id="app">');
    expect((await h.app.inject({ method: 'GET', url: '/assets/gone-1234.js' })).statusCode).toBe(404);
    const missing = await h.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues', headers: h.auth })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Bearer ${h.adminToken}` } })).statusCode).toBe(200);
  });

  it('hands the command line a session of its own through the loopback redirect, only after a same-origin yes', async () => {
    const state = 'cli-state-0123456789abcdef';
    const signedOut = await h.app.inject({ method: 'GET', url: `/auth/cli?port=45678&state=${state}` });
    expect(signedOut.statusCode).toBe(302);
    expect(signedOut.headers.location).toBe(`/auth/login?returnTo=${encodeURIComponent(`/auth/cli?port=45678&state=${state}`)}`);
    expect((await h.app.inject({ method: 'GET', url: `/auth/cli?port=80&state=${state}` })).statusCode).toBe(400);

    const cookie = await tokenSession();
    const consent = await h.app.inject({ method: 'GET', url: `/auth/cli?port=45678&state=${state}`, headers: { cookie } });
    expect(consent.statusCode).toBe(200);
    expect(consent.body).toContain('act as <strong>alice</strong>');
    const form = (origin: string) => h.app.inject({
      method: 'POST', url: '/auth/cli', payload: `port=45678&state=${state}`,
      headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect((await form('http://evil.example')).statusCode).toBe(403);
    const yes = await form(base);
    expect(yes.statusCode).toBe(303);
    const to = new URL(yes.headers.location as string);
    expect(to.origin).toBe('http://127.0.0.1:45678');
    expect(to.searchParams.get('state')).toBe(state);
    const cliCookie = `repro_session=${to.searchParams.get('session')}`;
    expect(cliCookie).not.toBe(cookie);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cliCookie } })).json()).toMatchObject({ name: 'alice', role: 'requester' });
  });
});
