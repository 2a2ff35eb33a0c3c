import type { Clock } from '../clock.js';
import type { EnvironmentKind, EnvironmentRecord, EnvironmentState } from '../domain/environment.js';
import type { EnvironmentService } from '../environments/service.js';
import type { Metrics } from '../metrics.js';
import type { ManagedResource, Provisioner } from '../provisioners/port.js';
import type { Queues } from '../queue/createQueues.js';
import { jobIds, queueNames } from '../queue/names.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import { SYSTEM_ACTORS } from '../auth/systemActors.js';

export interface MaintenanceDeps {
  hostId: string;
  /** Our deployment's label value: resources of another deployment on the same host are not ours to reap. */
  instance: string;
  clock: Clock;
  store: EnvironmentStore;
  queues: Queues;
  service: EnvironmentService;
  metrics: Metrics;
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
  log: (msg: string, data?: Record<string, unknown>) => void;
}

/** A record must be this old before a missing job counts as lost (its enqueue may still be under way). */
const GRACE_MS = 60_000;

export interface MaintenanceReport {
  expired: string[];
  requeued: string[];
  gaveUp: string[];
  orphans: ManagedResource[];
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
    const report: MaintenanceReport = { expired: [], requeued: [], gaveUp: [], orphans: [] };
    const now = clock.now().getTime();
    const live: EnvironmentState[] = ['requested', 'provisioning', 'ready', 'failed', 'destroying'];
    for (const state of live) {
      for (const id of await store.idsInState(state)) {
        const env = await store.get(id);
        if (!env || env.state !== state) continue;
        if (state !== 'destroying' && Date.parse(env.expiresAt) <= now) {
          await deps.service.requestDestroy(id, 'maintenance', `TTL expired at ${env.expiresAt} (sweep)`);
          report.expired.push(id);
        } else if (state === 'requested' && (await lost(env, provisionJob(env)))) {
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
    }
    for (const provisioner of Object.values(deps.provisioners)) {
      for (const resource of await provisioner.list()) {
        if (resource.instance !== deps.instance) continue;
        const env = await store.get(resource.envId);
        if (env && env.state !== 'destroyed') continue;
        await provisioner.remove(resource);
        deps.metrics.orphansRemoved.inc({ type: resource.type });
        deps.log('removed orphan', { ...resource });
        report.orphans.push(resource);
      }
    }
    return report;
  };
}
