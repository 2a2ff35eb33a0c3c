import { describe, expect, it } from 'vitest';
import { harnessPerFile } from '../../../support/harness.js';

/** Liveness, readiness and metrics through app.inject against the real Redis. */
describe('health routes', () => {
  const h = harnessPerFile();

  it('serves health and metrics without a token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().checks.redis).toBe('ok');
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/repro_environments\{state="requested"\} \d+/);
    expect(metrics.body).toContain('repro_provision_duration_seconds');
  });
});
