import type { Deps } from '../app/buildDeps.js';
import { createTicketAdapters } from './createTicketAdapters.js';
import { createTicketEventHandler, type TicketEventHandler } from './handleTicketEvents.js';
import { ticketKeys } from './ticketKeys.js';
import type { TicketAdapter } from './port.js';
import { validateTicketsConfig, type TicketsConfig, type TicketSystem } from './settings.js';

/** Everything the webhook route and the ticket workers share. */
export interface Ticketing {
  settings: TicketsConfig;
  adapters: Map<TicketSystem, TicketAdapter>;
  handler: TicketEventHandler;
  watchKey: string;
}

export function buildTicketing(deps: Pick<Deps, 'config' | 'clock' | 'redis' | 'service' | 'events' | 'queues' | 'catalog'>): Ticketing {
  const settings = validateTicketsConfig(deps.config.tickets);
  const adapters = createTicketAdapters(settings, { catalog: deps.catalog, clock: deps.clock, maxSkewSeconds: deps.config.webhooks.maxSkewSeconds });
  const handler = createTicketEventHandler({
    redis: deps.redis, prefix: deps.config.redisPrefix, service: deps.service, events: deps.events,
    queues: deps.queues, catalog: deps.catalog, settings,
  });
  return { settings, adapters, handler, watchKey: ticketKeys(deps.config.redisPrefix).watch };
}
