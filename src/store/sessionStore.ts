import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { Principal } from '../auth/roles.js';

/** What a pending single sign-on login keeps between the redirect and the callback. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

export interface SessionStore {
  /** A new session for the principal; returns the cookie value (only its hash is stored). */
  create(principal: Principal, ttlSeconds: number): Promise<string>;
  lookup(cookie: string): Promise<Principal | undefined>;
  destroy(cookie: string): Promise<void>;
  savePending(state: string, login: PendingLogin, ttlSeconds: number): Promise<void>;
  /** Reads and deletes in one step: a state is good for one callback only. */
  takePending(state: string): Promise<PendingLogin | undefined>;
}

// Whoever reads Redis sees hashes, not cookies they could replay.
const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export function createSessionStore(redis: Redis, k: Keys): SessionStore {
  return {
    async create(principal, ttlSeconds) {
      const cookie = randomBytes(32).toString('base64url');
      await redis.set(k.session(hash(cookie)), JSON.stringify({ name: principal.name, role: principal.role }), 'EX', ttlSeconds);
      return cookie;
    },
    async lookup(cookie) {
      const raw = await redis.get(k.session(hash(cookie)));
      if (!raw) return undefined;
      const { name, role } = JSON.parse(raw) as Principal;
      return { name, role };
    },
    async destroy(cookie) {
      await redis.del(k.session(hash(cookie)));
    },
    async savePending(state, login, ttlSeconds) {
      await redis.set(k.login(hash(state)), JSON.stringify(login), 'EX', ttlSeconds);
    },
    async takePending(state) {
      const raw = await redis.getdel(k.login(hash(state)));
      return raw ? (JSON.parse(raw) as PendingLogin) : undefined;
    },
  };
}
