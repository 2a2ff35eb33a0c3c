import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentKind, EnvironmentRecord } from '../domain/environment.js';
import type { EnvironmentService } from '../app/createEnvironmentService.js';
import type { Metrics } from '../app/createMetrics.js';
import type { ManagedResource, Provisioner } from '../provisioners/port.js';
import type { Queues } from '../queue/createQueues.js';
import { jobIds, queueNames } from '../queue/names.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import { SYSTEM_ACTORS } from '../domain/systemActors.js';
import type { Keys } from '../store/keys.js';

export interface MaintenanceDeps {
  hostId: string;
  /** Our deployment id (the owner label): resources of another deployment on the same engine are not ours to reap. */
  instance: string;
  /** Where the deployment marker lives: a sweep whose Redis lost it, or holds another id, stops. */
  redis: Redis;
  keys: Keys;
  clock: Clock;
  store: EnvironmentStore;
  queues: Queues;
  service: EnvironmentService;
  metrics: Metrics;
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
  log: (msg: string, data?: Record<string, unknown>) => void;
  /** Loud: the sweep refused to run. */
  warn: (msg: string, data?: Record<string, unknown>) => void;
}

/** A record must be this old before a missing job counts as lost (its enqueue may still be under way). */
const GRACE_MS = 60_000;
/** Index entries of aged-out records removed per sweep: bounded work, the rest next time. */
const PRUNE_BATCH = 1000;

export interface MaintenanceReport {
  expired: string[];
  requeued: string[];
  gaveUp: string[];
  orphans: ManagedResource[];
  /** Destroyed environments whose aged-out record's index entries were removed. */
  pruned: number;
  /** Set when the sweep stopped before doing anything, with the reason. */
  halted?: string;
}

/**
 * The safety net behind the queue: destroys overdue environments, re-enqueues work whose job
 * was lost with a dead process, and removes resources carrying our labels with no live record.
 */
export function createMaintenanceProcessor(deps: MaintenanceDeps) {
  const { store, queues, clock } = deps;

  const stale = (updatedAt: string) => clock.now().getTime() - Date.parse(updatedAt) > GRACE_MS;
  const provisionJob = (env: EnvironmentRecord) => ({ queue: queueNames.provision(env.kind), id: jobIds.provision(env.id) });
  const destroyJob = (env: EnvironmentRecord) => ({ queue: queueNames.destroy(env.hostId ?? deps.hostId), id: jobIds.destroy(env.id) });
  /** Past the grace period with no waiting, delayed or active job: the job died with its process. */
  const lost = async (env: EnvironmentRecord, job: { queue: string; id: string }) => stale(env.updatedAt) && !(await queues.hasJob(job.queue, job.id));
  /** A finished job keeps its id and would swallow the new one; clear it first. */
  const clearFinished = (job: { queue: string; id: string }) => queues.get(job.queue).remove(job.id).catch(() => undefined);

  return async function processMaintenance(): Promise<MaintenanceReport> {
    const report: MaintenanceReport = { expired: [], requeued: [], gaveUp: [], orphans: [], pruned: 0 };
    // Records and resources agree only while this is the Redis the deployment started with. An
    // emptied, restored or swapped Redis has lost (or never had) the records of live resources:
    // sweeping against it would reap them all.
    const marker = await deps.redis.get(deps.keys.deployment);
    if (marker !== deps.instance) {
      report.halted = marker === null
        ? `the deployment marker ${deps.keys.deployment} is missing: Redis was emptied or replaced since this process started. Nothing is swept; restart the service to start a new deployment (resources of ${deps.instance} are left for an operator)`
        : `the deployment marker ${deps.keys.deployment} names ${marker}, not ${deps.instance}: this Redis belongs to another deployment now. Nothing is swept; restart the service`;
      deps.warn('maintenance sweep halted', { reason: report.halted });
      return report;
    }
    // Every read below is one Redis command or one pipeline, and one listing per provider: a
    // sweep costs the same with 10 or 10 000 live environments (only overdue, stuck and orphan
    // ones add work, each its own).
    const now = clock.now();
    for (const env of await store.overdue(now)) {
      await deps.service.requestDestroy(env.id, 'maintenance', `TTL expired at ${env.expiresAt} (sweep)`);
      report.expired.push(env.id);
    }
    const expired = new Set(report.expired);
    for (const env of await store.unsettledSince(new Date(now.getTime() - GRACE_MS))) {
      const { id, state } = env;
      if (expired.has(id)) continue;
      if (state === 'requested' && (await lost(env, provisionJob(env)))) {
        await clearFinished(provisionJob(env));
        await queues.provision(env);
        report.requeued.push(id);
      } else if ((state === 'provisioning' || state === 'failed') && (await lost(env, provisionJob(env)))) {
        // Its job is gone (stalled too often, or failed past retries without a worker to record it).
        const r = await store.transition(id, { to: 'destroying', from: ['provisioning', 'failed'], event: { type: 'gave-up', actor: SYSTEM_ACTORS.maintenance, message: 'provision job lost; tearing down' } });
        if (r.ok) await queues.destroy(env, 'provision job lost', deps.hostId);
        report.gaveUp.push(id);
      } else if (state === 'destroying' && (await lost(env, destroyJob(env)))) {
        await clearFinished(destroyJob(env));
        await queues.destroy(env, 'destroy job lost; retrying', deps.hostId);
        report.requeued.push(id);
      }
    }
    report.pruned = await store.pruneRetired(now, PRUNE_BATCH);
    for (const provisioner of Object.values(deps.provisioners)) {
      const ours = (await provisioner.list()).filter((resource) => resource.instance === deps.instance);
      const kept = await store.notDestroyed([...new Set(ours.map((resource) => resource.envId))]);
      for (const resource of ours) {
        if (kept.has(resource.envId)) continue;
        await provisioner.remove(resource);
        deps.metrics.orphansRemoved.inc({ type: resource.type });
        deps.log('removed orphan', { ...resource });
        report.orphans.push(resource);
      }
    }
    return report;
  };
}
