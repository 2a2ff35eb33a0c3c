import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * The deployment's id, created once (SET NX, so processes starting together agree) and kept in
 * Redis beside the records. Resources carry it as their owner label: another install on the same
 * engine, even with the same key prefix, has another id. After Redis is emptied or replaced a new
 * id is made, so resources of the old one are never taken for this one's orphans.
 */
export async function ensureDeploymentId(redis: Redis, k: Keys): Promise<{ id: string; created: boolean }> {
  const fresh = `dep-${randomBytes(8).toString('hex')}`;
  const created = (await redis.set(k.deployment, fresh, 'NX')) === 'OK';
  const id = created ? fresh : await redis.get(k.deployment);
  if (!id) throw new Error(`the deployment marker ${k.deployment} vanished while it was being read`);
  return { id, created };
}
