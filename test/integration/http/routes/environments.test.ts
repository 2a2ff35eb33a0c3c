import { describe, expect, it } from 'vitest';
import { queueNames } from '../../../../src/queue/names.js';
import { environmentRequest, expectNothingCreated, postEnvironment } from '../../../support/environmentRequest.js';
import { harnessPerFile } from '../../../support/harnessPerFile.js';

/** The environment routes through app.inject against the real Redis; no worker runs, so nothing is provisioned. */
describe('environments API', () => {
  const h = harnessPerFile();

  it('accepts a request with 202, records it as requested and queues its provisioning', async () => {
    const res = await postEnvironment(h, environmentRequest);
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
    const first = await postEnvironment(h, { ...environmentRequest, ticket: { system: 'generic', id: 'IDEM' } }, key);
    const second = await postEnvironment(h, { ...environmentRequest, ticket: { system: 'generic', id: 'IDEM' } }, key);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const list = await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:IDEM', headers: h.auth });
    expect(list.json().items).toHaveLength(1);
    const other = await postEnvironment(h, { ...environmentRequest, ticket: { system: 'generic', id: 'IDEM' }, packages: ['vim'] }, key);
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
    const payload = { ...environmentRequest, ticket: { system: 'generic', id: 'BAD' }, ...change };
    const res = await postEnvironment(h, payload);
    expect(res.statusCode).toBe(400);
    const err = res.json().error;
    expect(err.code).toBe('invalid_request');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    await expectNothingCreated(h);
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

  it('lists with filters and cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await postEnvironment(h, { ...environmentRequest, ticket: { system: 'generic', id: 'PAGE' } })).json().id);
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
});
