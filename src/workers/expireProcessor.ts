import type { Job } from 'bullmq';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentService } from '../app/createEnvironmentService.js';
import { isLive } from '../domain/stateMachine.js';
import { ExpireJob, parsePayload } from '../queue/payloads.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import { SYSTEM_ACTORS } from '../domain/systemActors.js';

/** Fires at expiresAt; a job scheduled before an extension finds a later expiresAt and does nothing. */
export function createExpireProcessor(deps: { clock: Clock; store: EnvironmentStore; service: EnvironmentService }) {
  return async function processExpire(job: Job): Promise<void> {
    const { envId, expiresAt } = parsePayload(ExpireJob, job.data);
    const env = await deps.store.get(envId);
    if (!env || !isLive(env.state) || env.expiresAt !== expiresAt) return;
    if (Date.parse(env.expiresAt) > deps.clock.now().getTime() + 1000) return;
    await deps.service.requestDestroy(envId, SYSTEM_ACTORS.ttl, `TTL expired at ${env.expiresAt}`);
  };
}
