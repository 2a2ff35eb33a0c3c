import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import type { Catalog } from '../images/catalog.js';
import type { Queues } from '../queue/createQueues.js';
import type { EventStore } from '../store/eventStore.js';
import { createTicketAdapters } from './createTicketAdapters.js';
import { createTicketEventHandler, type TicketEventHandler } from './handleTicketEvents.js';
import { ticketKeys } from './ticketKeys.js';
import type { TicketAdapter } from './port.js';
import { validateTicketsConfig, type TicketsConfig, type TicketSystem } from './settings.js';
import type { TicketEnvironments } from './ticketEnvironments.js';

/** Everything the webhook route and the ticket workers share. */
export interface Ticketing {
  settings: TicketsConfig;
  adapters: Map<TicketSystem, TicketAdapter>;
  handler: TicketEventHandler;
  watchKey: string;
}

/** What ticketing needs from the process (app/buildDeps.ts passes its own). */
export interface TicketingDeps {
  /** The settings ticketing reads (config/loadConfig.ts, which validates `tickets` with this folder's rules). */
  config: { tickets: Record<string, unknown>; webhooks: { maxSkewSeconds: number }; redisPrefix: string };
  clock: Clock;
  redis: Redis;
  service: TicketEnvironments;
  events: EventStore;
  queues: Queues;
  catalog: Catalog;
}

export function buildTicketing(deps: TicketingDeps): Ticketing {
  const settings = validateTicketsConfig(deps.config.tickets);
  const adapters = createTicketAdapters(settings, { catalog: deps.catalog, clock: deps.clock, maxSkewSeconds: deps.config.webhooks.maxSkewSeconds });
  const handler = createTicketEventHandler({
    redis: deps.redis, prefix: deps.config.redisPrefix, service: deps.service, events: deps.events,
    queues: deps.queues, catalog: deps.catalog, settings,
  });
  return { settings, adapters, handler, watchKey: ticketKeys(deps.config.redisPrefix).watch };
}
