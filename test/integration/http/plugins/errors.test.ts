import { describe, expect, it } from 'vitest';
import { environmentRequest, expectNothingCreated, postEnvironment } from '../../../support/environmentRequest.js';
import { harnessPerFile } from '../../../support/harness.js';

/** How the error plugin answers what Fastify itself refuses, through app.inject against the real Redis. */
describe('error plugin', () => {
  const h = harnessPerFile();

  it('refuses a body over the size limit with 413', async () => {
    const res = await postEnvironment(h, { ...environmentRequest, note: 'x'.repeat(h.config.bodyLimitBytes + 10) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('body_too_large');
    await expectNothingCreated(h);
  });
});
