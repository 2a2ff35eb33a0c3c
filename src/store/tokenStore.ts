import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConflictError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Principal, Role } from '../domain/roles.js';
import type { Keys } from './keys.js';
import type { TokenInfo } from './tokenInfo.js';
import { REVOKE_TOKEN, defineScript } from './lua.js';

export interface TokenStore {
  /** Issues a new random token; only its hash is stored, so the caller shows it once. */
  issue(name: string, role: Role, opts?: { expiresAt?: string }): Promise<string>;
  /** Registers a token chosen elsewhere (the bootstrap admin token); replaces the name's previous token. */
  register(token: string, name: string, role: Role): Promise<void>;
  /** The token's principal; undefined when unknown, revoked or expired. Records the use. */
  lookup(token: string): Promise<Principal | undefined>;
  /** A one-way fingerprint of the token: what a console session opened with it keeps to follow its revocation. */
  fingerprint(token: string): string;
  /** Like lookup, by fingerprint. */
  lookupFingerprint(fingerprint: string): Promise<Principal | undefined>;
  list(): Promise<TokenInfo[]>;
  /** False when no token has that name. The token stops working at once. */
  revoke(name: string): Promise<boolean>;
}

interface Stored {
  name: string;
  role: Role;
  createdAt: string;
  expiresAt?: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export function createTokenStore(redis: Redis, k: Keys, clock: Clock): TokenStore {
  const revokeScript = defineScript(redis, 'reproRevokeToken', 3, REVOKE_TOKEN);
  async function save(token: string, stored: Omit<Stored, 'createdAt'>, replace: boolean): Promise<void> {
    const h = hash(token);
    const { name } = stored;
    const previous = await redis.hget(k.tokenNames, name);
    // HSETNX makes the name check and claim one step when two admins race for a name.
    if (!replace && !(await redis.hsetnx(k.tokenNames, name, h))) {
      throw new ConflictError('token_exists', `a token named "${name}" already exists`);
    }
    const tx = redis.multi();
    if (previous && previous !== h) tx.hdel(k.tokens, previous);
    tx.hset(k.tokens, h, JSON.stringify({ ...stored, createdAt: clock.now().toISOString() } satisfies Stored));
    tx.hset(k.tokenNames, name, h);
    await tx.exec();
  }

  async function lookupFingerprint(fingerprint: string): Promise<Principal | undefined> {
    const raw = await redis.hget(k.tokens, fingerprint);
    if (!raw) return undefined;
    const { name, role, expiresAt } = JSON.parse(raw) as Stored;
    const now = clock.now();
    if (expiresAt && Date.parse(expiresAt) <= now.getTime()) return undefined;
    await redis.hset(k.tokenLastUsed, name, now.toISOString());
    return { name, role };
  }

  return {
    async issue(name, role, opts = {}) {
      const token = `rp_${randomBytes(24).toString('base64url')}`;
      await save(token, { name, role, ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}) }, false);
      return token;
    },
    register: (token, name, role) => save(token, { name, role }, true),
    lookup: (token) => lookupFingerprint(hash(token)),
    fingerprint: hash,
    lookupFingerprint,
    async list() {
      const [stored, lastUsed] = await Promise.all([redis.hvals(k.tokens), redis.hgetall(k.tokenLastUsed)]);
      return stored
        .map((raw) => JSON.parse(raw) as Stored)
        .map(({ name, role, createdAt, expiresAt }) => ({
          name, role, createdAt,
          ...(lastUsed[name] ? { lastUsedAt: lastUsed[name] } : {}),
          ...(expiresAt ? { expiresAt } : {}),
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    async revoke(name) {
      return (await revokeScript(k.tokenNames, k.tokens, k.tokenLastUsed, name)) === 1;
    },
  };
}
