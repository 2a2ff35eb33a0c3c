import type { Job } from 'bullmq';
import { isLive } from '../domain/stateMachine.js';
import { parsePayload } from '../queue/payloads.js';
import type { TicketEnvironments } from './ticketEnvironments.js';
import { TeardownJob } from './ticketQueues.js';

/** A grace period ended without a reopen: destroy the ticket's live environments (only that ticket's). */
export function createTeardownProcessor(deps: { service: Pick<TicketEnvironments, 'listByTicket' | 'requestDestroy'> }) {
  return async function processTeardown(job: Job): Promise<void> {
    const { system, ticketId, reason } = parsePayload(TeardownJob, job.data);
    const live = (await deps.service.listByTicket(system, ticketId)).filter((e) => isLive(e.state));
    await Promise.all(live.map((e) => deps.service.requestDestroy(e.id, `${system}:ticket`, reason)));
  };
}
