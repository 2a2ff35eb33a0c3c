import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EnvironmentRecord, TicketRef } from '../domain/environment.js';
import { isLive } from '../domain/stateMachine.js';
import { parseDuration } from '../domain/parseDuration.js';
import { QuotaExceededError, ReproError } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import type { Queues } from '../queue/createQueues.js';
import type { EventStore } from '../store/eventStore.js';
import { RELEASE_LOCK, defineScript } from '../store/lua.js';
import type { TicketEvent, TicketState } from './port.js';
import type { TicketsConfig, TicketSystem } from './settings.js';
import { cancelTeardown, enqueueComment, notifyRetryFor, scheduleTeardown } from './ticketQueues.js';
import type { TicketEnvironments } from './ticketEnvironments.js';
import { ticketKeys } from './ticketKeys.js';
import { watchEnvironment } from './watchTicketEnvironments.js';

/** What the handler did with one event: returned to the webhook caller and logged. */
export interface TicketOutcome {
  type: TicketEvent['type'];
  ticket: string;
  action:
    | 'created' | 'already-live' | 'rejected' | 'duplicate-delivery' | 'ignored-no-change' | 'no-environment'
    | 'teardown' | 'teardown-scheduled' | 'teardown-cancelled';
  envIds?: string[];
  detail?: string;
}

export interface TicketEventHandlerDeps {
  redis: Redis;
  /** Key prefix (config.redisPrefix): tests and tenants stay apart. */
  prefix: string;
  service: TicketEnvironments;
  events: EventStore;
  queues: Queues;
  catalog: Catalog;
  settings: TicketsConfig;
}

export interface TicketEventHandler {
  handle(system: TicketSystem, events: TicketEvent[]): Promise<TicketOutcome[]>;
}

const DELIVERY_TTL_SECONDS = 14 * 86400;
const STATUS_TTL_SECONDS = 180 * 86400;
const LOCK_MS = 10_000;

/**
 * Applies ticket events: dedupes deliveries (ticket systems retry), keeps one live environment
 * per ticket and image, remembers the last status per ticket so status-only systems (GLPI,
 * Zammad, MantisBT) still show transitions, tears down on resolve/close/delete (after the
 * configured grace) and cancels a pending teardown on reopen. Only environments of the event's
 * own ticket are ever touched.
 */
export function createTicketEventHandler(deps: TicketEventHandlerDeps): TicketEventHandler {
  const k = ticketKeys(deps.prefix);
  const grace = (system: TicketSystem) => {
    const value = deps.settings[system]?.teardownGrace;
    return value ? parseDuration(value) : 0;
  };

  async function liveOf(ticket: TicketRef): Promise<EnvironmentRecord[]> {
    return (await deps.service.listByTicket(ticket.system, ticket.id)).filter((e) => isLive(e.state));
  }

  async function audit(envs: EnvironmentRecord[], type: string, actor: string, message: string): Promise<void> {
    await Promise.all(envs.map((e) => deps.events.append(e.id, { type, actor, message })));
  }

  const releaseLock = defineScript(deps.redis, 'reproReleaseLock', 1, RELEASE_LOCK);

  async function request(system: TicketSystem, event: Extract<TicketEvent, { type: 'repro.requested' }>): Promise<TicketOutcome> {
    // Two different deliveries for the same ticket and image (a ticket created and commented at
    // once) must not both pass the "already live" check.
    const lock = k.lock(system, event.ticket.id, event.request.image);
    // Our own token: past LOCK_MS another handler may hold the lock, and it is not ours to release.
    const owner = randomBytes(12).toString('hex');
    for (let waited = 0; (await deps.redis.set(lock, owner, 'PX', LOCK_MS, 'NX')) !== 'OK'; waited += 100) {
      if (waited > LOCK_MS) throw new ReproError('busy', `ticket ${system}:${event.ticket.id} is being handled; retry`, { status: 503, retryable: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      return await requestLocked(system, event);
    } finally {
      await releaseLock(lock, owner);
    }
  }

  async function requestLocked(system: TicketSystem, event: Extract<TicketEvent, { type: 'repro.requested' }>): Promise<TicketOutcome> {
    const base = { type: event.type, ticket: event.ticket.id };
    const live = (await liveOf(event.ticket)).filter((e) => e.image === event.request.image);
    if (live.length > 0 && !event.request.additional) return { ...base, action: 'already-live', envIds: live.map((e) => e.id) };
    try {
      const { record } = await deps.service.request(
        {
          ticket: event.ticket,
          image: event.request.image,
          kind: event.request.kind,
          packages: event.request.packages,
          ...(event.request.ttl ? { ttl: event.request.ttl } : {}),
          note: `asked on ${system} ticket ${event.ticket.id} by ${event.author}`,
        },
        `${system}:${event.author}`,
        event.deliveryId,
      );
      await watchEnvironment(deps.redis, k.watch, record.id);
      await enqueueComment(deps.queues, { system, ticket: event.ticket, kind: 'accepted', envId: record.id }, `${record.id}-accepted`, notifyRetryFor(deps.settings, system));
      return { ...base, action: 'created', envIds: [record.id] };
    } catch (err) {
      // Over quota: the ticket is told which quota and its limit, in its own language.
      if (err instanceof QuotaExceededError) {
        const quota = { name: err.quota, limit: err.limit };
        await enqueueComment(deps.queues, { system, ticket: event.ticket, kind: 'over-quota', quota }, `${event.deliveryId}-over-quota`, notifyRetryFor(deps.settings, system));
        return { ...base, action: 'rejected', detail: err.message };
      }
      // A TTL above the maximum and the like: the service's message goes back to the ticket.
      if (!(err instanceof ReproError) || err.status !== 400) throw err;
      await enqueueComment(deps.queues, { system, ticket: event.ticket, kind: 'rejected', reason: err.message }, `${event.deliveryId}-rejected`, notifyRetryFor(deps.settings, system));
      return { ...base, action: 'rejected', detail: err.message };
    }
  }

  async function teardown(system: TicketSystem, event: TicketEvent): Promise<TicketOutcome> {
    const base = { type: event.type, ticket: event.ticket.id };
    const live = await liveOf(event.ticket);
    if (live.length === 0) return { ...base, action: 'no-environment' };
    const actor = `${system}:${event.author}`;
    const reason = `ticket ${system}:${event.ticket.id} ${event.type.slice('ticket.'.length)} (status ${event.status.raw})`;
    const delay = grace(system);
    if (delay > 0) {
      await scheduleTeardown(deps.queues, { system, ticketId: event.ticket.id, reason }, delay * 1000);
      await audit(live, 'ticket.teardown-scheduled', actor, `${reason}; teardown in ${delay} s unless the ticket is reopened`);
      return { ...base, action: 'teardown-scheduled', envIds: live.map((e) => e.id) };
    }
    await Promise.all(live.map((e) => deps.service.requestDestroy(e.id, actor, reason)));
    return { ...base, action: 'teardown', envIds: live.map((e) => e.id) };
  }

  async function reopen(system: TicketSystem, event: TicketEvent): Promise<TicketOutcome> {
    const base = { type: event.type, ticket: event.ticket.id };
    if (!(await cancelTeardown(deps.queues, system, event.ticket.id))) return { ...base, action: 'ignored-no-change', detail: 'no teardown was pending' };
    const live = await liveOf(event.ticket);
    await audit(live, 'ticket.teardown-cancelled', `${system}:${event.author}`, `ticket ${system}:${event.ticket.id} reopened`);
    return { ...base, action: 'teardown-cancelled', envIds: live.map((e) => e.id) };
  }

  /** The previous state, and records the new one. */
  async function remember(event: TicketEvent): Promise<TicketState | undefined> {
    const previous = await deps.redis.set(k.status(event.ticket.system, event.ticket.id), event.status.state, 'EX', STATUS_TTL_SECONDS, 'GET');
    return (previous ?? undefined) as TicketState | undefined;
  }

  async function apply(system: TicketSystem, event: TicketEvent): Promise<TicketOutcome> {
    const previous = await remember(event);
    switch (event.type) {
      case 'repro.requested':
        return request(system, event);
      case 'repro.rejected':
        await enqueueComment(deps.queues, { system, ticket: event.ticket, kind: 'rejected', reason: event.reason }, `${event.deliveryId}-rejected`, notifyRetryFor(deps.settings, system));
        return { type: event.type, ticket: event.ticket.id, action: 'rejected', detail: event.reason };
      case 'ticket.reopened':
        if (event.observed && (previous === undefined || previous === 'open')) return { type: event.type, ticket: event.ticket.id, action: 'ignored-no-change' };
        return reopen(system, event);
      default:
        // Status-only systems repeat the current status on every update: act on the change only.
        if (event.observed && previous !== undefined && previous !== 'open') return { type: event.type, ticket: event.ticket.id, action: 'ignored-no-change' };
        return teardown(system, event);
    }
  }

  return {
    async handle(system, events) {
      const outcomes: TicketOutcome[] = [];
      const seen = new Set<string>();
      for (const event of events) {
        // The ticket must belong to the system whose signature was checked.
        if (event.ticket.system !== system) throw new ReproError('internal', `adapter ${system} produced an event for ${event.ticket.system}`);
        if (!seen.has(event.deliveryId)) {
          seen.add(event.deliveryId);
          const fresh = await deps.redis.set(k.delivery(event.deliveryId), '1', 'EX', DELIVERY_TTL_SECONDS, 'NX');
          if (fresh !== 'OK') return events.map((e) => ({ type: e.type, ticket: e.ticket.id, action: 'duplicate-delivery' as const }));
        }
        try {
          outcomes.push(await apply(system, event));
        } catch (err) {
          // Let the system's retry of this delivery be processed again.
          await deps.redis.del(k.delivery(event.deliveryId));
          throw err;
        }
      }
      return outcomes;
    },
  };
}
