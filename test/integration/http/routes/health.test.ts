import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { queueNames } from '../../../../src/queue/names.js';
import { harnessPerFile } from '../../../support/harnessPerFile.js';

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
