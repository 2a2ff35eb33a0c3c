import type { JobsOptions } from 'bullmq';

/** How long finished jobs stay in Redis, for the queue board and for job ids that dedupe. */
export const jobRetention = {
  /** Environment and build jobs: a day once done, a week once failed. */
  default: { removeOnComplete: { age: 86400 }, removeOnFail: { age: 7 * 86400 } },
  /** Ticket comments and teardowns: a failed one is kept a month, since a missed comment is noticed late. */
  tickets: { removeOnComplete: { age: 86400 }, removeOnFail: { age: 30 * 86400 } },
  /** The repeating maintenance sweep: the last hundred runs. */
  sweep: { removeOnComplete: 100, removeOnFail: 100 },
} as const satisfies Record<string, JobsOptions>;
