import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process, with Node's own process metrics; the API serves it at /metrics beside BullMQ's queue metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    provisionDuration: new Histogram({
      name: 'repro_provision_duration_seconds',
      help: 'Request to ready, per kind and image',
      labelNames: ['kind', 'image'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    provisionFailures: new Counter({
      name: 'repro_provision_failures_total',
      help: 'Failed provision attempts, per kind and whether another attempt follows',
      labelNames: ['kind', 'final'],
      registers: [registry],
    }),
    notifyFailures: new Counter({
      name: 'repro_notify_failures_total',
      help: 'Ticket comments that failed, per system and whether retries are exhausted',
      labelNames: ['system', 'final'],
      registers: [registry],
    }),
    orphansRemoved: new Counter({
      name: 'repro_orphans_removed_total',
      help: 'Resources carrying our labels with no live environment, removed by maintenance',
      labelNames: ['type'],
      registers: [registry],
    }),
    environments: new Gauge({ name: 'repro_environments', help: 'Environments by state', labelNames: ['state'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
