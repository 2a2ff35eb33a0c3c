import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EnvironmentEvent } from '../domain/environment.js';
import { TooManyError } from '../domain/errors.js';
import { toEvent } from './environmentStore.js';
import type { Keys } from './keys.js';

export interface FeedSubscription {
  /** Delivery stopped because `deliver` returned false (the client's buffer is full): go on. */
  resume(): void;
  /** Frees the subscription and its owner's slot. */
  close(): void;
}

export interface SubscribeInput {
  /** Who holds the subscription (the token's name); at most `limit` at once per owner. */
  owner: string;
  limit: number;
  envId: string;
  /** Events after this stream id are delivered. */
  after: string;
  /** Called in order for each new event; false pauses delivery until resume(). */
  deliver(event: EnvironmentEvent): boolean;
  /** Start paused (the caller still has history to write). */
  paused?: boolean;
}

export interface EventFeed {
  /** Throws TooManyError (429) when the owner already holds `limit` subscriptions. */
  subscribe(input: SubscribeInput): FeedSubscription;
  close(): Promise<void>;
}

interface Follower {
  input: SubscribeInput;
  cursor: string;
  paused: boolean;
}

const BLOCK_MS = 15_000;
const COUNT = 100;
/** A wake-up sent just before the read reached Redis is lost: poke again, this many times at most. */
const POKES = 50;
const POKE_MS = 20;

/**
 * Live events for every open stream of this process over one blocking connection: a single
 * XREAD loop over all followed environments, each stream read from the earliest cursor among its
 * active followers (each follower skips what it already has). A follower whose client cannot
 * take more is paused and re-read from its own cursor once it drains. The loop runs only while
 * someone follows; a new follower interrupts the current read with CLIENT UNBLOCK.
 */
export function createEventFeed(deps: { redis: Redis; connect: () => Redis; keys: Keys; log: Logger }): EventFeed {
  const followers = new Set<Follower>();
  const perOwner = new Map<string, number>();
  let conn: Redis | undefined;
  let connId: number | undefined;
  let running = false;
  let blocked = false;
  let round = 0;
  let closed = false;

  const connection = (): Redis => {
    if (!conn) {
      conn = deps.connect();
      // A reconnect gets a new client id.
      conn.on('close', () => { connId = undefined; });
    }
    return conn;
  };

  async function poke(): Promise<void> {
    const target = round;
    for (let i = 0; i < POKES && round === target && blocked && !closed && connId !== undefined; i++) {
      await deps.redis.client('UNBLOCK', connId).catch(() => undefined);
      await new Promise((r) => setTimeout(r, POKE_MS));
    }
  }

  function wake(): void {
    if (closed) return;
    if (!running) void loop();
    else if (blocked) void poke();
  }

  async function loop(): Promise<void> {
    running = true;
    const c = connection();
    try {
      while (!closed) {
        try {
          connId ??= (await c.client('ID')) as number;
        } catch (err) {
          if (closed) return;
          deps.log.warn({ err: (err as Error).message }, 'event feed connection failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        // From here to the read nothing awaits, so a subscriber arriving later finds `blocked` set and pokes.
        const cursors = new Map<string, string>();
        // Only followers the read was issued for may take its events: one that joined or resumed
        // meanwhile could otherwise jump past events between its cursor and the read's.
        const readers = new Set<Follower>();
        for (const f of followers) {
          if (f.paused) continue;
          readers.add(f);
          const key = deps.keys.events(f.input.envId);
          const seen = cursors.get(key);
          if (seen === undefined || compareIds(f.cursor, seen) < 0) cursors.set(key, f.cursor);
        }
        if (cursors.size === 0) return;
        try {
          blocked = true;
          const res = await c.xread('COUNT', COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...cursors.keys(), ...cursors.values());
          blocked = false;
          round++;
          for (const [key, rows] of res ?? []) dispatch(readers, key, rows.map(([id, fields]) => toEvent(id, fields)));
        } catch (err) {
          blocked = false;
          round++;
          if (closed) return;
          deps.log.warn({ err: (err as Error).message }, 'event feed read failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally {
      running = false;
      blocked = false;
    }
  }

  function dispatch(readers: Set<Follower>, key: string, events: EnvironmentEvent[]): void {
    for (const f of readers) {
      if (f.paused || !followers.has(f) || deps.keys.events(f.input.envId) !== key) continue;
      for (const e of events) {
        if (!followers.has(f)) break;
        if (compareIds(e.id, f.cursor) <= 0) continue;
        f.cursor = e.id;
        if (!f.input.deliver(e)) {
          f.paused = true;
          break;
        }
      }
    }
  }

  return {
    subscribe(input) {
      if (closed) throw new Error('event feed closed');
      const held = perOwner.get(input.owner) ?? 0;
      if (held >= input.limit) {
        throw new TooManyError('too_many_streams', `this token already follows ${held} event streams (limit ${input.limit}); close one first`);
      }
      perOwner.set(input.owner, held + 1);
      const f: Follower = { input, cursor: input.after, paused: input.paused ?? false };
      followers.add(f);
      if (!f.paused) wake();
      let released = false;
      return {
        resume() {
          if (released || !f.paused) return;
          f.paused = false;
          wake();
        },
        close() {
          if (released) return;
          released = true;
          followers.delete(f);
          const left = (perOwner.get(input.owner) ?? 1) - 1;
          if (left > 0) perOwner.set(input.owner, left);
          else perOwner.delete(input.owner);
        },
      };
    },

    async close() {
      closed = true;
      followers.clear();
      perOwner.clear();
      // A blocked read would hold a polite QUIT back for up to BLOCK_MS.
      conn?.disconnect();
    },
  };
}

/** Orders Redis stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
