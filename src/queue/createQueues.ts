import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnvironmentKind, EnvironmentRecord } from '../domain/environment.js';
import type { Keys } from '../store/keys.js';
import { mergeMetricFamilies } from './mergeMetricFamilies.js';
import { jobRetention } from './jobRetention.js';
import { jobIds, queueNames } from './names.js';
import type { BuildJob, DestroyJob, ExpireJob, ProvisionJob } from './payloads.js';

export interface QueueOptions {
  provisionAttempts: number;
  provisionBackoffMs: number;
}

export interface Queues {
  provision(env: Pick<EnvironmentRecord, 'id' | 'kind'>): Promise<void>;
  destroy(env: Pick<EnvironmentRecord, 'id' | 'hostId'>, reason: string, fallbackHost: string): Promise<void>;
  /** Schedules the TTL: a delayed expire job at expiresAt; a previous one for another time is removed. */
  scheduleExpiry(env: Pick<EnvironmentRecord, 'id' | 'expiresAt'>, previousExpiresAt?: string): Promise<void>;
  /** Queues an image build; the job id is the build id. */
  build(buildId: string): Promise<void>;
  hasJob(queue: string, jobId: string): Promise<boolean>;
  /**
   * The queues that exist in this Redis (every host's), found by their BullMQ meta key: opening a
   * queue object for a name no worker uses would create it.
   */
  names(): Promise<string[]>;
  /** BullMQ's Prometheus export (jobs per state, completed and failed totals) of every queue in `names()`. */
  prometheusMetrics(): Promise<string>;
  get(name: string): Queue;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, k: Keys, opts: QueueOptions): Queues {
  const open = new Map<string, Queue>();
  const get = (name: string): Queue => {
    let q = open.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix: k.queues });
      open.set(name, q);
    }
    return q;
  };

  const names = async (): Promise<string[]> => {
    const prefix = `${k.queues}:`;
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}*:meta`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.add(key.slice(prefix.length, -':meta'.length));
    } while (cursor !== '0');
    return [...found].sort();
  };

  return {
    async provision(env) {
      const data: ProvisionJob = { envId: env.id };
      await get(queueNames.provision(env.kind as EnvironmentKind)).add('provision', data, {
        ...jobRetention.default,
        jobId: jobIds.provision(env.id),
        attempts: opts.provisionAttempts,
        backoff: { type: 'exponential', delay: opts.provisionBackoffMs },
      });
    },

    async destroy(env, reason, fallbackHost) {
      const data: DestroyJob = { envId: env.id, reason };
      await get(queueNames.destroy(env.hostId ?? fallbackHost)).add('destroy', data, {
        ...jobRetention.default,
        jobId: jobIds.destroy(env.id),
        attempts: 10,
        backoff: { type: 'exponential', delay: 2000 },
      });
    },

    async scheduleExpiry(env, previousExpiresAt) {
      const q = get(queueNames.expire);
      const at = Date.parse(env.expiresAt);
      if (previousExpiresAt && previousExpiresAt !== env.expiresAt) {
        // A stale expire job would be a no-op anyway (the processor re-checks expiresAt); removing it keeps the queue tidy.
        await q.remove(jobIds.expire(env.id, Date.parse(previousExpiresAt))).catch(() => undefined);
      }
      const data: ExpireJob = { envId: env.id, expiresAt: env.expiresAt };
      await q.add('expire', data, { ...jobRetention.default, jobId: jobIds.expire(env.id, at), delay: Math.max(0, at - Date.now()), attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
    },

    async build(buildId) {
      const data: BuildJob = { buildId };
      // One attempt: a failed build is a result (its log says why), an admin asks again.
      await get(queueNames.imageBuild).add('build', data, { ...jobRetention.default, jobId: buildId, attempts: 1 });
    },

    async hasJob(queue, jobId) {
      const job = await get(queue).getJob(jobId);
      if (!job) return false;
      const state = await job.getState();
      return state !== 'completed' && state !== 'failed' && state !== 'unknown';
    },

    names,

    async prometheusMetrics() {
      return mergeMetricFamilies(await Promise.all((await names()).map((name) => get(name).exportPrometheusMetrics())));
    },

    get,

    async close() {
      await Promise.all([...open.values()].map((q) => q.close()));
      open.clear();
    },
  };
}
