import { describe, expect, it } from 'vitest';
import { mergeMetricFamilies } from '../../src/queue/mergeMetricFamilies.js';

/** The shape of BullMQ's Queue.exportPrometheusMetrics() for one queue. */
function bullmqExport(queue: string, waiting: number, completed: number): string {
  return [
    '# HELP bullmq_job_count Number of jobs in the queue by state',
    '# TYPE bullmq_job_count gauge',
    `bullmq_job_count{queue="${queue}", state="waiting"} ${waiting}`,
    '# HELP bullmq_job_completed_total Total number of completed jobs',
    '# TYPE bullmq_job_completed_total counter',
    `bullmq_job_completed_total{queue="${queue}"} ${completed}`,
  ].join('\n');
}

describe('mergeMetricFamilies', () => {
  it('gives each family its HELP and TYPE once, followed by every queue\'s samples', () => {
    expect(mergeMetricFamilies([bullmqExport('expire', 1, 5), bullmqExport('notify', 0, 7)]).split('\n')).toEqual([
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      'bullmq_job_count{queue="expire", state="waiting"} 1',
      'bullmq_job_count{queue="notify", state="waiting"} 0',
      '# HELP bullmq_job_completed_total Total number of completed jobs',
      '# TYPE bullmq_job_completed_total counter',
      'bullmq_job_completed_total{queue="expire"} 5',
      'bullmq_job_completed_total{queue="notify"} 7',
    ]);
  });

  it('is empty without queues', () => {
    expect(mergeMetricFamilies([])).toBe('');
  });
});
