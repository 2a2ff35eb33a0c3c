import { MetricsTime } from 'bullmq';

/**
 * Worker option: BullMQ counts a queue's completed and failed jobs (the totals in its Prometheus
 * export, served at /metrics) only where workers keep metrics; beside the totals it keeps an hour
 * of per-minute points.
 */
export const workerMetrics = { maxDataPoints: MetricsTime.ONE_HOUR };
