import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentEvent } from '../domain/environment.js';
import { isLive } from '../domain/stateMachine.js';
import { parseDuration } from '../domain/parseDuration.js';
import type { Queues } from '../queue/createQueues.js';
import { toEvent, type EnvironmentStore } from '../store/environmentStore.js';
import type { Keys } from '../store/keys.js';
import type { TicketsConfig, TicketSystem } from './settings.js';
import { enqueueComment, notifyRetryFor } from './ticketQueues.js';

/** Starts following an environment created from a ticket; the watcher reads its event stream from the start. */
export async function watchEnvironment(redis: Redis, watchKey: string, envId: string): Promise<void> {
  await redis.hsetnx(watchKey, envId, '0');
}

export interface TicketWatcherDeps {
  redis: Redis;
  /** A connection of its own: XREAD BLOCK holds it. */
  blocking: Redis;
  watchKey: string;
  keys: Keys;
  store: EnvironmentStore;
  queues: Queues;
  clock: Clock;
  settings: TicketsConfig;
  blockMs?: number;
  onError?: (err: Error) => void;
}

const STREAMS_PER_READ = 200;

/**
 * Turns the lifecycle of ticket environments into comments: ready, failed (gave up), destroyed,
 * and an "expiring soon" notice scheduled before each expiry. Reads the environments' own event
 * streams, so the core workers need no knowledge of tickets. Several processes may run it: each
 * comment's job id is derived from the environment and the notice, so none is queued twice.
 */
export function startTicketWatcher(deps: TicketWatcherDeps): { close(): Promise<void> } {
  const blockMs = deps.blockMs ?? 1000;
  let closed = false;

  async function react(envId: string, event: EnvironmentEvent): Promise<void> {
    const env = await deps.store.get(envId);
    const system = env?.ticket.system as TicketSystem | undefined;
    if (!env || !system || !deps.settings[system]) {
      await deps.redis.hdel(deps.watchKey, envId);
      return;
    }
    const base = { system, ticket: env.ticket, envId };
    const retry = notifyRetryFor(deps.settings, system);
    if (event.type === 'ready' && event.state === 'ready') await enqueueComment(deps.queues, { ...base, kind: 'ready' }, `${envId}-ready`, retry);
    if (event.type === 'gave-up') {
      await enqueueComment(deps.queues, { ...base, kind: 'failed', ...(env.error ? { reason: env.error.message } : {}) }, `${envId}-failed`, retry);
    }
    if (event.state === 'destroyed') await enqueueComment(deps.queues, { ...base, kind: 'destroyed' }, `${envId}-destroyed`, retry);
    if ((event.type === 'ready' || event.type === 'extended') && isLive(env.state)) {
      const lead = parseDuration(deps.settings[system]?.expiryNoticeLead ?? '1h') * 1000;
      const at = Date.parse(env.expiresAt) - lead;
      const delay = at - deps.clock.now().getTime();
      // An environment that lives less than the lead time gets no separate notice: `ready` already says when it ends.
      if (delay > 0) {
        await enqueueComment(deps.queues, { ...base, kind: 'expiring', expiresAt: env.expiresAt }, `${envId}-expiring-${Date.parse(env.expiresAt)}`, retry, delay);
      }
    }
  }

  async function readOnce(): Promise<void> {
    const all = Object.entries(await deps.redis.hgetall(deps.watchKey));
    // Past STREAMS_PER_READ environments, start each read at a random one so none waits forever.
    const start = all.length > STREAMS_PER_READ ? Math.floor(Math.random() * all.length) : 0;
    const watched = [...all.slice(start), ...all.slice(0, start)].slice(0, STREAMS_PER_READ);
    if (watched.length === 0) {
      await new Promise((r) => setTimeout(r, Math.min(blockMs, 500)));
      return;
    }
    const res = await deps.blocking.xread(
      'COUNT', 100, 'BLOCK', blockMs, 'STREAMS',
      ...watched.map(([id]) => deps.keys.events(id)), ...watched.map(([, last]) => last),
    );
    for (const [stream, rows] of res ?? []) {
      const envId = watched.find(([id]) => deps.keys.events(id) === stream)?.[0];
      if (!envId) continue;
      for (const [eventId, fields] of rows) {
        const event = toEvent(eventId, fields);
        await react(envId, event);
        if (event.state === 'destroyed') await deps.redis.hdel(deps.watchKey, envId);
        else await deps.redis.hset(deps.watchKey, envId, eventId);
      }
    }
  }

  const loop = (async () => {
    while (!closed) {
      try {
        await readOnce();
      } catch (err) {
        if (closed) break;
        deps.onError?.(err as Error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();

  return {
    async close() {
      closed = true;
      await loop;
    },
  };
}
