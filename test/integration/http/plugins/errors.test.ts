import { describe, expect, it } from 'vitest';
import { environmentRequest, expectNothingCreated, postEnvironment } from '../../../support/environmentRequest.js';
import { harnessPerFile } from '../../../support/harnessPerFile.js';

/** How the error plugin answers what Fastify itself refuses, through app.inject against the real Redis. */
describe('error plugin', () => {
  const h = harnessPerFile();

  it('refuses a body over the size limit with 413', async () => {
    const res = await postEnvironment(h, { ...environmentRequest, note: 'x'.repeat(h.config.bodyLimitBytes + 10) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
    await expectNothingCreated(h);
  });

  it('names the field and the values allowed when a value is outside a set', async () => {
    for (const kind of ['docker', 5]) {
      const res = await postEnvironment(h, { ...environmentRequest, kind });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: 'invalid_request', field: 'kind', message: 'body.kind must be one of: container, vm' });
    }
    await expectNothingCreated(h);
    const res = await h.app.inject({ method: 'GET', url: '/v1/environments?state=sleeping', headers: h.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('state');
    expect(res.json().error.message).toMatch(/^querystring\.state must be one of: requested, provisioning, ready, .*destroyed/);
  });
});
