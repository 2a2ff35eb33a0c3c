import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../../../src/domain/environment.js';
import { createDockerProvisioner } from '../../../../src/provisioners/docker/createDockerProvisioner.js';
import { startHarness, waitFor, type Harness } from '../../../support/harness.js';

/**
 * Who may act on which environment, through every environment route, against the real Redis,
 * BullMQ workers and Docker engine: a requester acts only on its own environments (others'
 * answer 404 like missing ones and never appear in its listings); support and admin act on all,
 * ticket-made ones included.
 */
describe('environment ownership', () => {
  let h: Harness;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let desk: Record<string, string>;
  let admin: Record<string, string>;
  let mine: EnvironmentRecord;
  let ticketMade: EnvironmentRecord;

  beforeAll(async () => {
    h = await startHarness({ provisioners: { container: createDockerProvisioner({ hostId: 'test' }) }, workers: true });
    alice = h.auth;
    bob = as(await h.deps.tokens.issue('bob', 'requester'));
    desk = as(await h.deps.tokens.issue('desk', 'support'));
    admin = as(h.adminToken);
    mine = await readyContainer(alice, 'OWN-1');
    ticketMade = await ticketEnvironment('OWN-T');
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  /** A container requested through the API as `auth`, once it is ready. */
  async function readyContainer(auth: Record<string, string>, ticketId: string): Promise<EnvironmentRecord> {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: auth, payload: { ticket: { system: 'generic', id: ticketId }, image: 'debian-12' } });
    expect(res.statusCode, res.body).toBe(202);
    return waitFor(async () => {
      const env = await h.deps.store.require(res.json().id);
      if (env.state === 'failed' || env.state === 'destroying') throw new Error(`provisioning failed: ${env.error?.message}`);
      return env.state === 'ready' ? env : undefined;
    }, 120_000, `the container of ${ticketId} to be ready`);
  }
  /** Made by a ticket system's webhook: its requester is `<system>:<author>`, as the ticket handler sets it. */
  const ticketEnvironment = async (ticketId: string) =>
    (await h.deps.service.request({ ticket: { system: 'generic', id: ticketId }, image: 'debian-12', ttl: '1h' }, 'generic:jdupont')).record;

  const routes = (id: string) => [
    { method: 'GET', url: `/v1/environments/${id}` },
    { method: 'GET', url: `/v1/environments/${id}/events` },
    { method: 'GET', url: `/v1/environments/${id}/events`, headers: { accept: 'text/event-stream' } },
    { method: 'GET', url: `/v1/environments/${id}/access` },
    { method: 'POST', url: `/v1/environments/${id}/extend`, payload: { ttl: '2h' } },
    { method: 'POST', url: `/v1/environments/${id}/exec`, payload: { command: ['true'] } },
    { method: 'DELETE', url: `/v1/environments/${id}` },
  ] as const;

  const call = (r: ReturnType<typeof routes>[number], auth: Record<string, string>) =>
    h.app.inject({ method: r.method, url: r.url, headers: { ...auth, ...('headers' in r ? r.headers : {}) }, ...('payload' in r ? { payload: r.payload } : {}) });

  it('answers another requester 404 on every environment route, exactly as for a missing environment, and changes nothing', async () => {
    const before = await h.deps.events.history(mine.id);
    // Another test extends it: what must not change is what it was when bob started.
    const start = await h.deps.store.require(mine.id);
    const missingId = 'env-000000000000';
    const missing = routes(missingId);
    for (const [i, r] of routes(mine.id).entries()) {
      const res = await call(r, bob);
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      expect(res.json(), `${r.method} ${r.url}`).toEqual({ error: { code: 'not_found', message: `environment ${mine.id} does not exist` } });
      const absent = await call(missing[i]!, bob);
      expect(res.body.replace(mine.id, missingId), `${r.method} ${r.url}`).toBe(absent.body);
      expect(res.headers['content-type']).toBe(absent.headers['content-type']);
    }
    const after = await h.deps.store.require(mine.id);
    expect(after.state).toBe('ready');
    expect(after.expiresAt).toBe(start.expiresAt);
    expect(await h.deps.events.history(mine.id)).toEqual(before);
  });

  it('never lists another requester\'s environments to a requester, whatever the filters', async () => {
    const ids = async (auth: Record<string, string>, query = '') =>
      (await h.app.inject({ method: 'GET', url: `/v1/environments?limit=200${query}`, headers: auth })).json().items.map((e: { id: string }) => e.id);
    expect(await ids(bob)).not.toContain(mine.id);
    expect(await ids(bob, '&ticket=generic:OWN-1')).toEqual([]);
    expect(await ids(bob, '&state=ready')).not.toContain(mine.id);
    expect(await ids(bob)).not.toContain(ticketMade.id);
    const asking = await h.app.inject({ method: 'GET', url: '/v1/environments?requester=alice', headers: bob });
    expect(asking.statusCode).toBe(403);
    expect(await ids(alice)).toContain(mine.id);
    expect(await ids(alice)).not.toContain(ticketMade.id);
    expect(await ids(alice, '&requester=alice')).toContain(mine.id);
  });

  it('lets support and admin list, read, follow and act on every environment, ticket-made ones included', async () => {
    for (const [who, auth] of [['support', desk], ['admin', admin]] as const) {
      const all = (await h.app.inject({ method: 'GET', url: '/v1/environments?limit=200', headers: auth })).json().items.map((e: { id: string }) => e.id);
      expect(all, who).toEqual(expect.arrayContaining([mine.id, ticketMade.id]));
      const alices = (await h.app.inject({ method: 'GET', url: '/v1/environments?requester=alice', headers: auth })).json().items.map((e: { id: string }) => e.id);
      expect(alices, who).toEqual([mine.id]);
      for (const env of [mine, ticketMade]) {
        expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: auth })).statusCode, `${who} GET ${env.id}`).toBe(200);
        expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: auth })).statusCode, `${who} events ${env.id}`).toBe(200);
        expect((await h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/extend`, headers: auth, payload: { ttl: '3h' } })).statusCode, `${who} extend ${env.id}`).toBe(200);
      }
      const exec = await h.app.inject({ method: 'POST', url: `/v1/environments/${mine.id}/exec`, headers: auth, payload: { command: ['echo', who] } });
      expect(exec.statusCode, exec.body).toBe(200);
      expect(exec.json().stdout.trim()).toBe(who);
    }
    const actors = (await h.deps.events.history(mine.id)).filter((e) => e.type === 'exec' || e.type === 'extended').map((e) => e.actor);
    expect(actors).toEqual(['desk', 'desk', 'admin', 'admin']);
  });

  it('answers a requester 404 on a ticket-made environment', async () => {
    for (const r of routes(ticketMade.id)) {
      const res = await call(r, alice);
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
    }
  });

  it('lets the owner act on its own environment through every route, and support delete a ticket-made one', async () => {
    // Environments of its own, which it deletes; the other tests keep theirs. Its owner is not
    // alice, whose listing another test expects to hold only her first environment.
    const olive = as(await h.deps.tokens.issue('olive', 'requester'));
    const mine = await readyContainer(olive, 'OWN-2');
    const ticketMade = await ticketEnvironment('OWN-T2');
    expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${mine.id}`, headers: olive })).statusCode).toBe(200);
    const exec = await h.app.inject({ method: 'POST', url: `/v1/environments/${mine.id}/exec`, headers: olive, payload: { command: ['true'] } });
    expect(exec.json().exitCode).toBe(0);
    expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${mine.id}/access`, headers: olive })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/environments/${mine.id}`, headers: olive })).statusCode).toBe(202);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/environments/${ticketMade.id}`, headers: desk })).statusCode).toBe(202);
    await waitFor(async () => ((await h.deps.store.get(mine.id))?.state === 'destroyed' ? true : undefined), 60_000, 'olive\'s environment destroyed');
    // The finished stream follows to its end: the owner still reads it whole.
    const sse = await h.app.inject({ method: 'GET', url: `/v1/environments/${mine.id}/events`, headers: { ...olive, accept: 'text/event-stream' } });
    expect(sse.statusCode).toBe(200);
    expect(sse.body).toContain('event: destroyed');
  }, 210_000);
});
