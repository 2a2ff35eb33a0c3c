import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { queueNames } from '../queue/names.js';
import { workerMetrics } from '../queue/workerMetrics.js';
import { createNotifyProcessor, type NotifyDeps } from './notifyProcessor.js';
import type { Ticketing } from './buildTicketing.js';
import { createTeardownProcessor } from './teardownProcessor.js';
import type { TicketEnvironments } from './ticketEnvironments.js';
import { startTicketWatcher, type TicketWatcherDeps } from './watchTicketEnvironments.js';

/** What the ticket workers take from the process (app/buildDeps.ts passes its own): the notify processor's and the watcher's dependencies, and a few more. */
export type TicketWorkerDeps =
  & Pick<NotifyDeps, 'store' | 'events' | 'catalog' | 'transcripts' | 'metrics'>
  & Pick<TicketWatcherDeps, 'redis' | 'keys' | 'queues' | 'clock'>
  & {
    config: { terminal: { attachMaxBytes: number }; publicUrl?: string };
    log: Logger;
    service: TicketEnvironments;
    /** A new blocking Redis connection, for the watcher's blocking reads. */
    connect(role: string): Redis;
  };

/**
 * The ticket side of a worker process: the notify outbox, delayed teardowns and the watcher that
 * turns environment transitions into comments. Runs nothing when no ticket system is configured.
 */
export async function startTicketWorkers(deps: TicketWorkerDeps, ticketing: Ticketing, connection: Redis): Promise<{ close(): Promise<void> }> {
  if (ticketing.adapters.size === 0) return { close: async () => undefined };
  const { log } = deps;
  const prefix = deps.keys.queues;
  const notify = new Worker(queueNames.notify, createNotifyProcessor({
    adapters: ticketing.adapters, store: deps.store, events: deps.events, catalog: deps.catalog, metrics: deps.metrics,
    transcripts: deps.transcripts, attachMaxBytes: deps.config.terminal.attachMaxBytes,
    ...(deps.config.publicUrl ? { publicUrl: deps.config.publicUrl } : {}),
  }), { connection, prefix, concurrency: 5, metrics: workerMetrics });
  const teardown = new Worker(queueNames.ticketTeardown, createTeardownProcessor(deps), { connection, prefix, concurrency: 2, metrics: workerMetrics });
  for (const [name, worker] of [['notify', notify], ['teardown', teardown]] as const) {
    worker.on('failed', (job: Job | undefined, err: Error) => log.warn({ queue: name, jobId: job?.id, err: err.message }, 'ticket job failed'));
    worker.on('error', (err) => log.error({ queue: name, err: err.message }, 'ticket worker error'));
  }
  const blocking = deps.connect('tickets');
  const watcher = startTicketWatcher({
    redis: deps.redis, blocking, watchKey: ticketing.watchKey, keys: deps.keys, store: deps.store, queues: deps.queues,
    clock: deps.clock, settings: ticketing.settings,
    onError: (err) => log.warn({ err: err.message }, 'ticket watcher error'),
  });
  await Promise.all([notify.waitUntilReady(), teardown.waitUntilReady()]);
  return {
    async close() {
      await watcher.close();
      await Promise.all([notify.close(), teardown.close()]);
    },
  };
}
