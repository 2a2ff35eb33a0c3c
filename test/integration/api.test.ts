import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNames } from '../../src/queue/names.js';
import { startHarness, type Harness } from '../support/harness.js';

/** HTTP behaviour through app.inject against the real Redis; no worker runs, so nothing is provisioned. */
describe('environments API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const body = { ticket: { system: 'generic', id: 'T-1' }, image: 'debian-12', packages: ['curl'] };
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/v1/environments', headers: { ...h.auth, ...headers }, payload: payload as object });

  async function nothingCreated(): Promise<void> {
    const list = await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:BAD', headers: h.auth });
    expect(list.json().items).toEqual([]);
    const waiting = await h.deps.queues.get(queueNames.provision('container')).getJobCounts('waiting', 'delayed');
    expect(waiting).toMatchObject({ waiting: 0, delayed: 0 });
  }

  it('accepts a request with 202, records it as requested and queues its provisioning', async () => {
    const res = await post(body);
    expect(res.statusCode).toBe(202);
    const env = res.json();
    expect(env).toMatchObject({ state: 'requested', kind: 'container', image: 'debian-12', packages: ['curl'], requester: 'alice', ticket: { system: 'generic', id: 'T-1' } });
    expect(res.headers['location']).toBe(`/v1/environments/${env.id}`);
    const job = await h.deps.queues.get(queueNames.provision('container')).getJob(`provision-${env.id}`);
    expect(job?.data).toEqual({ envId: env.id });
    const events = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: h.auth });
    expect(events.json().items[0]).toMatchObject({ type: 'requested', actor: 'alice', state: 'requested' });
    // Clean: no worker runs here, so mark it for teardown and drop its jobs.
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it('returns the same environment for the same Idempotency-Key, and 409 when the key is reused for another body', async () => {
    const key = { 'idempotency-key': 'abc-123' };
    const first = await post({ ...body, ticket: { system: 'generic', id: 'IDEM' } }, key);
    const second = await post({ ...body, ticket: { system: 'generic', id: 'IDEM' } }, key);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const list = await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:IDEM', headers: h.auth });
    expect(list.json().items).toHaveLength(1);
    const other = await post({ ...body, ticket: { system: 'generic', id: 'IDEM' }, packages: ['vim'] }, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('idempotency_key_reused');
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it.each([
    ['unknown image', { image: 'windows-95' }, 'image', /known images: .*debian-12/],
    ['shell in a package', { packages: ['nginx; rm -rf /'] }, 'packages[0]', /not a valid debian package/],
    ['path in a package', { packages: ['../x'] }, 'packages[0]', /not a valid/],
    ['300-character package', { packages: ['a'.repeat(300)] }, 'packages.0', /256/],
    ['empty package', { packages: [''] }, 'packages[0]', /cannot be empty/],
    ['unparseable ttl', { ttl: 'soon' }, 'ttl', /not a duration/],
    ['ttl above the maximum', { ttl: '30d' }, 'ttl', /above the maximum of 7d/],
    ['unknown kind', { kind: 'lxc' }, 'kind', /must be/],
    ['VM of an image without VM settings', { image: 'debian-11', kind: 'vm' }, 'kind', /no VM settings/],
    ['memory above the limit', { resources: { memoryMb: 999999 } }, 'resources.memoryMb', /above the limit/],
    ['ticket id of the wrong type', { ticket: { system: 'generic', id: 42 } }, 'ticket.id', /string/],
    ['missing ticket', { ticket: undefined }, 'ticket', /required/],
    ['unknown field', { colour: 'blue' }, 'colour', /additional/],
  ])('rejects %s with a 400 naming the field, creating nothing', async (_name, change, field, message) => {
    const payload = { ...body, ticket: { system: 'generic', id: 'BAD' }, ...change };
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    const err = res.json().error;
    expect(err.code).toBe('invalid_request');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    await nothingCreated();
  });

  it('answers 401 without or with a wrong token, 403 for a requester on an admin route', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/v1/environments', payload: body });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthorized');
    const wrong = await h.app.inject({ method: 'GET', url: '/v1/environments', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const forbidden = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.auth, payload: { name: 'bob', role: 'admin' } });
    expect(forbidden.statusCode).toBe(403);
    await nothingCreated();
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await post({ ...body, note: 'x'.repeat(h.config.bodyLimitBytes + 10) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
    await nothingCreated();
  });

  it('answers 404 for an unknown environment on every route', async () => {
    for (const [method, url, payload] of [
      ['GET', '/v1/environments/env-000000000000', undefined],
      ['GET', '/v1/environments/env-000000000000/events', undefined],
      ['DELETE', '/v1/environments/env-000000000000', undefined],
      ['POST', '/v1/environments/env-000000000000/extend', { ttl: '1h' }],
      ['POST', '/v1/environments/env-000000000000/exec', { command: ['true'] }],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: h.auth, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  it('issues tokens to admins, stored hashed, and attributes actions to the token name', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'carol', role: 'requester' } });
    expect(res.statusCode).toBe(201);
    const { token } = res.json();
    expect(token).toMatch(/^rp_/);
    const stored = await h.deps.redis.hgetall(h.deps.keys.tokens);
    expect(JSON.stringify(stored)).not.toContain(token);
    const again = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'carol', role: 'requester' } });
    expect(again.statusCode).toBe(409);
    const created = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: { authorization: `Bearer ${token}` }, payload: { ...body, ticket: { system: 'generic', id: 'CAROL' } } });
    expect(created.json().requester).toBe('carol');
    const del = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${created.json().id}`, headers: { authorization: `Bearer ${token}` } });
    expect(del.statusCode).toBe(202);
    const events = (await h.app.inject({ method: 'GET', url: `/v1/environments/${created.json().id}/events`, headers: { authorization: `Bearer ${token}` } })).json().items;
    expect(events.map((e: { type: string; actor: string }) => `${e.type}:${e.actor}`)).toEqual(['requested:carol', 'destroy.requested:carol']);
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it('lists with filters and cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await post({ ...body, ticket: { system: 'generic', id: 'PAGE' } })).json().id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await h.app.inject({ method: 'GET', url: `/v1/environments?ticket=generic:PAGE&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: h.auth });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((e: { id: string }) => e.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
    const byState = await h.app.inject({ method: 'GET', url: '/v1/environments?state=requested&requester=alice&limit=200', headers: h.auth });
    expect(byState.json().items.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining(ids));
    const bad = await h.app.inject({ method: 'GET', url: '/v1/environments?state=sleeping', headers: h.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('state');
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it('serves the OpenAPI document, health and metrics without a token', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(expect.arrayContaining(['/v1/environments', '/v1/environments/{id}/exec']));
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().checks.redis).toBe('ok');
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/repro_environments\{state="requested"\} \d+/);
    expect(metrics.body).toContain('repro_provision_duration_seconds');
    expect(metrics.body).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('reports in /metrics every queue in Redis, also those only another process opened', async () => {
    // Another host's destroy queue, written by its own queue object: this API never opened it.
    const elsewhere = new Queue(queueNames.destroy('elsewhere'), { connection: h.deps.redis, prefix: h.deps.keys.queues });
    try {
      await elsewhere.add('destroy', { envId: 'env-x', reason: 'test' }, { delay: 60_000 });
      const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(body).toContain('bullmq_job_count{queue="destroy-elsewhere", state="delayed"} 1');
      expect(body).toContain('bullmq_job_failed_total{queue="destroy-elsewhere"} 0');
      // One HELP line per family however many queues there are, as the exposition format wants.
      expect(body.match(/^# HELP bullmq_job_count /gm)).toHaveLength(1);
    } finally {
      await elsewhere.obliterate({ force: true });
      await elsewhere.close();
    }
  });
});
