import type { Job } from 'bullmq';
import type { Clock } from '../clock.js';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Provisioner } from '../provisioners/port.js';
import { DestroyJob, parsePayload } from '../queue/payloads.js';
import type { EnvironmentStore } from '../store/environmentStore.js';

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
    if (!env || env.state === 'destroyed') return;
    if (env.state === 'provisioning') {
      // The provision step owns the resources right now; it applies the recorded request when it ends.
      await deps.store.transition(envId, { from: ['provisioning'], patch: { destroyRequested: true }, event: { type: 'destroy.deferred', actor: 'worker', message: 'destroy waits for provisioning to end' } });
      return;
    }
    if (env.state !== 'destroying') {
      await deps.store.transition(envId, { to: 'destroying', event: { type: 'destroying', actor: 'worker', message: reason } });
    }
    const provisioner = deps.provisioners[env.kind];
    if (!provisioner) throw new Error(`no ${env.kind} provider on this host`);
    await provisioner.destroy(envId);
    await deps.store.transition(envId, {
      to: 'destroyed',
      from: ['destroying'],
      patch: { destroyedAt: deps.clock.now().toISOString() },
      unset: ['access'],
      event: { type: 'destroyed', actor: 'worker', message: `destroyed (${reason})` },
    });
  };
}
