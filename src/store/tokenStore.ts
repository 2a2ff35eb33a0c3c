import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConflictError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Keys } from './keys.js';

export type Role = 'requester' | 'admin';
export interface Principal {
  name: string;
  role: Role;
}

export interface TokenStore {
  /** Issues a new random token; only its hash is stored, so the caller shows it once. */
  issue(name: string, role: Role): Promise<string>;
  /** Registers a token chosen elsewhere (the bootstrap admin token); replaces the name's previous token. */
  register(token: string, name: string, role: Role): Promise<void>;
  lookup(token: string): Promise<Principal | undefined>;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export function createTokenStore(redis: Redis, k: Keys, clock: Clock): TokenStore {
  async function save(token: string, name: string, role: Role, replace: boolean): Promise<void> {
    const h = hash(token);
    const previous = await redis.hget(k.tokenNames, name);
    // HSETNX makes the name check and claim one step when two admins race for a name.
    if (!replace && !(await redis.hsetnx(k.tokenNames, name, h))) {
      throw new ConflictError('token_exists', `a token named "${name}" already exists`);
    }
    const tx = redis.multi();
    if (previous && previous !== h) tx.hdel(k.tokens, previous);
    tx.hset(k.tokens, h, JSON.stringify({ name, role, createdAt: clock.now().toISOString() }));
    tx.hset(k.tokenNames, name, h);
    await tx.exec();
  }

  return {
    async issue(name, role) {
      const token = `rp_${randomBytes(24).toString('base64url')}`;
      await save(token, name, role, false);
      return token;
    },
    register: (token, name, role) => save(token, name, role, true),
    async lookup(token) {
      const raw = await redis.hget(k.tokens, hash(token));
      if (!raw) return undefined;
      const { name, role } = JSON.parse(raw) as Principal;
      return { name, role };
    },
  };
}
