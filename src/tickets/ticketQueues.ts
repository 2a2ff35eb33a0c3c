import { Type, type Static } from '@sinclair/typebox';
import type { Queues } from '../queue/createQueues.js';
import { jobRetention } from '../queue/jobRetention.js';
import { queueNames } from '../queue/names.js';
import { parseDuration } from '../domain/parseDuration.js';
import { QUOTA_NAMES } from '../domain/quotas.js';
import { ReproError } from '../domain/errors.js';
import { TicketRefSchema } from '../domain/environment.js';
import type { TicketsConfig, TicketSystem } from './settings.js';

export const NotifyJob = Type.Object({
  system: Type.String({ minLength: 1 }),
  ticket: TicketRefSchema,
  kind: Type.Union([
    Type.Literal('accepted'), Type.Literal('ready'), Type.Literal('failed'),
    Type.Literal('expiring'), Type.Literal('destroyed'), Type.Literal('rejected'), Type.Literal('over-quota'),
    Type.Literal('transcript'),
  ]),
  envId: Type.Optional(Type.String()),
  /** For `transcript`: the terminal session whose transcript goes on the ticket. */
  sessionId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  /** For `over-quota`: which quota refused the request, and its limit. */
  quota: Type.Optional(Type.Object({
    name: Type.Union(QUOTA_NAMES.map((n) => Type.Literal(n))),
    limit: Type.Integer({ minimum: 0 }),
  })),
  /** For `expiring`: the expiry the notice was scheduled for; an extension makes it stale. */
  expiresAt: Type.Optional(Type.String()),
});
export type NotifyJob = Static<typeof NotifyJob>;

export const TeardownJob = Type.Object({ system: Type.String({ minLength: 1 }), ticketId: Type.String({ minLength: 1 }), reason: Type.String() });
export type TeardownJob = Static<typeof TeardownJob>;

export interface NotifyRetry {
  attempts: number;
  /** First backoff delay; BullMQ doubles it each attempt. */
  backoffMs: number;
}

/** By default about 20 minutes of retries (8 attempts from 10 s, doubling) before a comment counts as failed. */
export function notifyRetryFor(settings: TicketsConfig, system: TicketSystem): NotifyRetry {
  const s = settings[system];
  return { attempts: s?.notifyAttempts ?? 8, backoffMs: s?.notifyBackoff ? parseDuration(s.notifyBackoff) * 1000 : 10_000 };
}

/** BullMQ job ids: no `:`; ticket ids may hold `#` or `:`, so they are encoded. */
const ticketKey = (system: string, id: string) => `${system}-${Buffer.from(id).toString('base64url')}`;

/**
 * Enqueues one comment. `dedupe` makes the job id, so the same notice (same environment event,
 * same delivery) is never queued twice even when several processes see it.
 */
export async function enqueueComment(queues: Queues, job: NotifyJob, dedupe: string, retry: NotifyRetry, delayMs = 0): Promise<void> {
  await queues.get(queueNames.notify).add(job.kind, job, {
    ...jobRetention.tickets,
    jobId: `notify-${dedupe.replace(/:/g, '_')}`,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    ...(delayMs > 0 ? { delay: delayMs } : {}),
  });
}

/**
 * (Re)schedules the ticket's teardown. One job id per ticket lets a reopen find it; a finished job
 * keeps that id for a day and would swallow the new one, so whatever holds it is removed first.
 */
export async function scheduleTeardown(queues: Queues, job: TeardownJob, delayMs: number): Promise<void> {
  const queue = queues.get(queueNames.ticketTeardown);
  const jobId = `teardown-${ticketKey(job.system, job.ticketId)}`;
  if ((await queue.remove(jobId)) === 0 && (await queue.getJob(jobId))) {
    // Still there: it is running right now; the ticket system retries the delivery.
    throw new ReproError('busy', `a teardown of ticket ${job.system}:${job.ticketId} is running; retry`, { status: 503, retryable: true });
  }
  await queue.add('teardown', job, {
    ...jobRetention.tickets,
    jobId,
    delay: delayMs,
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
  });
}

/** Removes a pending teardown; true when one was waiting. */
export async function cancelTeardown(queues: Queues, system: string, ticketId: string): Promise<boolean> {
  const job = await queues.get(queueNames.ticketTeardown).getJob(`teardown-${ticketKey(system, ticketId)}`);
  if (!job || !(await job.isDelayed())) return false;
  await job.remove();
  return true;
}
