import type { Job } from 'bullmq';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Provisioner } from '../provisioners/port.js';
import { DestroyJob, parsePayload } from '../queue/payloads.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import { SYSTEM_ACTORS } from '../domain/systemActors.js';

export interface DestroyDeps {
  clock: Clock;
  store: EnvironmentStore;
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
}

/** Tears down whatever exists of the environment, then records it destroyed. Safe to run again. */
export function createDestroyProcessor(deps: DestroyDeps) {
  return async function processDestroy(job: Job): Promise<void> {
    const { envId, reason } = parsePayload(DestroyJob, job.data);
    const env = await deps.store.get(envId);
    // Every destroy job is queued after the record moved to destroying; anything else has no teardown to do.
    if (!env || env.state !== 'destroying') return;
    const provisioner = deps.provisioners[env.kind];
    if (!provisioner) throw new Error(`no ${env.kind} provider on this host`);
    await provisioner.destroy(envId);
    await deps.store.transition(envId, {
      to: 'destroyed',
      from: ['destroying'],
      patch: { destroyedAt: deps.clock.now().toISOString() },
      unset: ['access'],
      event: { type: 'destroyed', actor: SYSTEM_ACTORS.worker, message: `destroyed (${reason})` },
    });
  };
}
