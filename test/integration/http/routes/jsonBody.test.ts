import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../../support/harness.js';

/** Clients that send Content-Type: application/json on every call, bodiless ones included. */
describe('JSON bodies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const json = () => ({ ...h.auth, 'content-type': 'application/json' });
  const create = async () => {
    const res = await h.app.inject({
      method: 'POST', url: '/v1/environments', headers: json(),
      payload: { ticket: { system: 'generic', id: 'EMPTY-BODY' }, image: 'debian-12' },
    });
    expect(res.statusCode).toBe(202);
    return res.json().id as string;
  };

  it('takes DELETE with Content-Type: application/json and no body as a plain DELETE', async () => {
    const id = await create();
    const res = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${id}`, headers: json() });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id, state: 'destroying' });
  });

  it('answers an empty body where one is required with a 400 naming the body, not a parser error', async () => {
    const id = await create();
    const res = await h.app.inject({ method: 'POST', url: `/v1/environments/${id}/extend`, headers: json() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request' });
    expect(res.json().error.message).toMatch(/^body /);
  });

  it('still refuses malformed JSON and prototype poisoning with 400', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: json(), payload: '{"ticket":' });
    expect(bad.statusCode).toBe(400);
    const poisoned = await h.app.inject({
      method: 'POST', url: '/v1/environments', headers: json(),
      payload: '{"ticket":{"system":"generic","id":"P"},"image":"debian-12","__proto__":{"admin":true}}',
    });
    expect(poisoned.statusCode).toBe(400);
  });
});
