import type { Redis } from 'ioredis';
import type { EnvironmentEvent } from '../domain/environment.js';
import type { Clock } from '../domain/clock.js';
import type { Keys } from './keys.js';
import { toEvent, type EventInput } from './environmentStore.js';

export interface EventStore {
  /** Appends outside a transition (progress lines, audit of exec, notify failures). */
  append(envId: string, event: EventInput): Promise<string>;
  history(envId: string, opts?: { after?: string; limit?: number }): Promise<EnvironmentEvent[]>;
  /** Waits up to `blockMs` for events after `after`, on a connection of the caller's (blocking reads need their own). */
  follow(conn: Redis, envId: string, after: string, blockMs: number): Promise<EnvironmentEvent[]>;
}

export function createEventStore(redis: Redis, k: Keys, clock: Clock): EventStore {
  return {
    append(envId, e) {
      return redis.xadd(
        k.events(envId), 'MAXLEN', '~', '10000', '*',
        'type', e.type, 'actor', e.actor, 'message', e.message, 'data', JSON.stringify(e.data ?? {}), 'at', clock.now().toISOString(),
      ) as Promise<string>;
    },

    async history(envId, opts = {}) {
      const start = opts.after ? `(${opts.after}` : '-';
      const rows = opts.limit
        ? await redis.xrange(k.events(envId), start, '+', 'COUNT', opts.limit)
        : await redis.xrange(k.events(envId), start, '+');
      return rows.map(([id, fields]) => toEvent(id, fields));
    },

    async follow(conn, envId, after, blockMs) {
      const res = await conn.xread('BLOCK', blockMs, 'STREAMS', k.events(envId), after);
      if (!res) return [];
      return res.flatMap(([, rows]) => rows.map(([id, fields]) => toEvent(id, fields)));
    },
  };
}
