import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTORS } from '../../../../src/domain/systemActors.js';
import { queueNames } from '../../../../src/queue/names.js';
import { TICKET_SYSTEMS } from '../../../../src/tickets/settings.js';
import { environmentRequest } from '../../../support/environmentRequest.js';
import { startHarness, type Harness } from '../../../support/harness.js';

/** Token management through the API against the real Redis: list, revoke, expiry, roles and names. */
describe('tokens API', () => {
  // A harness per test: the listing expects exactly the tokens its test made, whatever ran before.
  let h: Harness;
  let admin: Record<string, string>;
  beforeEach(async () => {
    h = await startHarness();
    admin = { authorization: `Bearer ${h.adminToken}` };
  });
  afterEach(async () => h?.close());

  const issue = (payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const whoAmI = (token: string) => h.app.inject({ method: 'GET', url: '/v1/environments', headers: bearer(token) });

  it('issues tokens to admins, stored hashed, and attributes actions to the token name', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'carol', role: 'requester' } });
    expect(res.statusCode).toBe(201);
    const { token } = res.json();
    expect(token).toMatch(/^rp_/);
    const stored = await h.deps.redis.hgetall(h.deps.keys.tokens);
    expect(JSON.stringify(stored)).not.toContain(token);
    const again = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'carol', role: 'requester' } });
    expect(again.statusCode).toBe(409);
    const created = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: { authorization: `Bearer ${token}` }, payload: { ...environmentRequest, ticket: { system: 'generic', id: 'CAROL' } } });
    expect(created.json().requester).toBe('carol');
    const del = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${created.json().id}`, headers: { authorization: `Bearer ${token}` } });
    expect(del.statusCode).toBe(202);
    const events = (await h.app.inject({ method: 'GET', url: `/v1/environments/${created.json().id}/events`, headers: { authorization: `Bearer ${token}` } })).json().items;
    expect(events.map((e: { type: string; actor: string }) => `${e.type}:${e.actor}`)).toEqual(['requested:carol', 'destroy.requested:carol']);
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it('lists names, roles, creation, last use and expiry, never a token or its hash', async () => {
    const dora = await issue({ name: 'dora', role: 'support', ttl: '30d' });
    expect(dora.statusCode, dora.body).toBe(201);
    expect(dora.json()).toMatchObject({ name: 'dora', role: 'support' });
    const expiresAt = Date.parse(dora.json().expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(29 * 86400_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30 * 86400_000);
    expect((await whoAmI(dora.json().token)).statusCode).toBe(200);

    const res = await h.app.inject({ method: 'GET', url: '/v1/tokens', headers: admin });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, string>>;
    expect(items.map((t) => t.name)).toEqual(['admin', 'alice', 'dora']);
    const listed = items.find((t) => t.name === 'dora')!;
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'expiresAt', 'lastUsedAt', 'name', 'role']);
    expect(listed).toMatchObject({ role: 'support', expiresAt: dora.json().expiresAt });
    expect(Date.parse(listed.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(listed.createdAt!));
    expect(items.find((t) => t.name === 'alice')).not.toHaveProperty('lastUsedAt');
    for (const secret of [dora.json().token, h.adminToken, h.requesterToken, ...(await h.deps.redis.hkeys(h.deps.keys.tokens))]) {
      expect(res.body).not.toContain(secret);
    }
  });

  it('revokes a token: it stops working at once and leaves the list', async () => {
    const { token } = (await issue({ name: 'eve', role: 'requester' })).json();
    expect((await whoAmI(token)).statusCode).toBe(200);
    const del = await h.app.inject({ method: 'DELETE', url: '/v1/tokens/eve', headers: admin });
    expect(del.statusCode).toBe(204);
    const after = await whoAmI(token);
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('unauthorized');
    const names = (await h.app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).json().items.map((t: { name: string }) => t.name);
    expect(names).not.toContain('eve');
    expect(await h.deps.redis.hget(h.deps.keys.tokenLastUsed, 'eve')).toBeNull();
    // The name is free again, for a new token.
    expect((await issue({ name: 'eve', role: 'requester' })).statusCode).toBe(201);
    expect((await whoAmI(token)).statusCode).toBe(401);
  });

  it('answers 404 for revoking an unknown name and 409 for the bootstrap admin', async () => {
    const unknown = await h.app.inject({ method: 'DELETE', url: '/v1/tokens/nobody', headers: admin });
    expect(unknown.statusCode).toBe(404);
    const bootstrap = await h.app.inject({ method: 'DELETE', url: '/v1/tokens/admin', headers: admin });
    expect(bootstrap.statusCode).toBe(409);
    expect(bootstrap.json().error.code).toBe('bootstrap_token');
    expect((await whoAmI(h.adminToken)).statusCode).toBe(200);
  });

  it('stops accepting a token once it expires', async () => {
    const { token, expiresAt } = (await issue({ name: 'brief', role: 'requester', ttl: '1s' })).json();
    expect((await whoAmI(token)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 50));
    expect((await whoAmI(token)).statusCode).toBe(401);
  });

  it('rejects a bad ttl with a 400 naming ttl, creating no token', async () => {
    const res = await issue({ name: 'frank', role: 'requester', ttl: 'forever' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('ttl');
    expect(await h.deps.redis.hget(h.deps.keys.tokenNames, 'frank')).toBeNull();
  });

  // Literal names as the brief lists them, plus every actor the code declares and every ticket system it knows.
  it.each([...new Set([
    'worker', 'maintenance', 'system', 'notify', 'ttl', 'admin', 'Admin', 'WORKER',
    'glpi', 'redmine', 'jira', 'gitlab', 'zammad', 'mantis', 'rt', 'generic', 'GLPI',
    ...Object.values(SYSTEM_ACTORS), ...TICKET_SYSTEMS,
  ])])('refuses the system actor name "%s" with a 400 naming name', async (name) => {
    const res = await issue({ name, role: 'admin' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', field: 'name' });
    expect(await h.deps.redis.hget(h.deps.keys.tokenNames, name)).toEqual(name === 'admin' ? expect.any(String) : null);
  });

  it('keeps token management to admins: support and requesters get 403', async () => {
    const { token } = (await issue({ name: 'gina', role: 'support' })).json();
    for (const auth of [bearer(token), h.auth]) {
      expect((await h.app.inject({ method: 'GET', url: '/v1/tokens', headers: auth })).statusCode).toBe(403);
      expect((await h.app.inject({ method: 'DELETE', url: '/v1/tokens/alice', headers: auth })).statusCode).toBe(403);
      expect((await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: auth, payload: { name: 'x', role: 'admin' } })).statusCode).toBe(403);
    }
  });
});
