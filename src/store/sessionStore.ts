import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from '../domain/roles.js';
import type { Keys } from './keys.js';

/** What a pending single sign-on login keeps between the redirect and the callback. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
}

/** A console session: who, and for one opened with an API token, that token's fingerprint (revoking the token ends it). */
export interface Session extends Principal {
  tokenFingerprint?: string;
}

export interface SessionStore {
  /** A new session; returns the cookie value (only its hash is stored). */
  create(session: Session, ttlSeconds: number): Promise<string>;
  lookup(cookie: string): Promise<Session | undefined>;
  /** A new session with the same contents (handed to a command line); undefined when the cookie's has ended. */
  duplicate(cookie: string, ttlSeconds: number): Promise<string | undefined>;
  destroy(cookie: string): Promise<void>;
  savePending(state: string, login: PendingLogin, ttlSeconds: number): Promise<void>;
  /** Reads and deletes in one step: a state is good for one callback only. */
  takePending(state: string): Promise<PendingLogin | undefined>;
}

// Whoever reads Redis sees hashes, not cookies they could replay.
const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export function createSessionStore(redis: Redis, k: Keys): SessionStore {
  const create = async ({ name, role, tokenFingerprint }: Session, ttlSeconds: number) => {
    const cookie = randomBytes(32).toString('base64url');
    const stored: Session = { name, role, ...(tokenFingerprint ? { tokenFingerprint } : {}) };
    await redis.set(k.session(hash(cookie)), JSON.stringify(stored), 'EX', ttlSeconds);
    return cookie;
  };
  const lookup = async (cookie: string) => {
    const raw = await redis.get(k.session(hash(cookie)));
    return raw ? (JSON.parse(raw) as Session) : undefined;
  };
  return {
    create,
    lookup,
    async duplicate(cookie, ttlSeconds) {
      const session = await lookup(cookie);
      return session ? create(session, ttlSeconds) : undefined;
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
