import { describe, expect, it } from 'vitest';
import { environmentRequest, expectNothingCreated } from '../../../support/environmentRequest.js';
import { harnessPerFile } from '../../../support/harnessPerFile.js';

/** Who may call: the auth plugin's answers through app.inject against the real Redis. */
describe('auth plugin', () => {
  const h = harnessPerFile();

  it('answers 401 without or with a wrong token, 403 for a requester on an admin route', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/v1/environments', payload: environmentRequest });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthorized');
    const wrong = await h.app.inject({ method: 'GET', url: '/v1/environments', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const forbidden = await h.app.inject({ method: 'POST', url: '/v1/tokens', headers: h.auth, payload: { name: 'bob', role: 'admin' } });
    expect(forbidden.statusCode).toBe(403);
    await expectNothingCreated(h);
  });
});
