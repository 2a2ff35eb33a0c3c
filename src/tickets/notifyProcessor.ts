import { UnrecoverableError, type Job } from 'bullmq';
import type { Counter } from 'prom-client';
import { isLive } from '../domain/stateMachine.js';
import { isRetryable } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import { parsePayload } from '../queue/payloads.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { TranscriptStore } from '../store/transcriptStore.js';
import { castToText } from './castToText.js';
import { renderComment, type TranscriptComment } from './commentTemplates.js';
import type { TicketAdapter } from './port.js';
import { NotifyJob } from './ticketQueues.js';
import { SYSTEM_ACTORS } from '../domain/systemActors.js';

export interface NotifyDeps {
  adapters: ReadonlyMap<string, TicketAdapter>;
  store: EnvironmentStore;
  events: EventStore;
  catalog: Catalog;
  /** repro_notify_failures_total of the process's registry (app/createMetrics.ts). */
  metrics: { notifyFailures: Counter<'system' | 'final'> };
  publicUrl?: string;
  transcripts: TranscriptStore;
  /** Bound on the transcript text put in a comment. */
  attachMaxBytes: number;
}

const ACTOR = SYSTEM_ACTORS.notify;

/**
 * Posts one ticket comment. A failure worth retrying is thrown back to BullMQ, which retries with
 * exponential backoff; the last failure (or one that cannot succeed, such as a 401) is written to
 * the environment's event stream and counted in repro_notify_failures_total{final="true"}: a
 * comment is never dropped silently.
 */
export function createNotifyProcessor(deps: NotifyDeps) {
  return async function processNotify(job: Job): Promise<void> {
    const data = parsePayload(NotifyJob, job.data);
    const env = data.envId ? await deps.store.get(data.envId) : undefined;
    // An extension moved the expiry after this notice was scheduled, or the environment is gone.
    if (data.kind === 'expiring' && (!env || !isLive(env.state) || env.expiresAt !== data.expiresAt)) return;

    const adapter = deps.adapters.get(data.system);
    const fail = async (message: string, final: boolean) => {
      deps.metrics.notifyFailures.inc({ system: data.system, final: String(final) });
      if (final && data.envId) {
        await deps.events.append(data.envId, { type: 'notify.failed', actor: ACTOR, message, data: { kind: data.kind, attempts: job.attemptsMade + 1 } });
      }
    };
    if (!adapter) {
      await fail(`${data.kind} comment not posted: ticket system ${data.system} is not configured`, true);
      throw new UnrecoverableError(`ticket system ${data.system} is not configured`);
    }

    const transcript = data.kind === 'transcript' ? await loadTranscript(deps, data.sessionId) : undefined;
    if (data.kind === 'transcript' && !transcript) {
      await fail(`transcript comment not posted: terminal session ${data.sessionId ?? '(none)'} is gone`, true);
      throw new UnrecoverableError(`terminal session ${data.sessionId ?? '(none)'} is gone`);
    }
    const image = env ? deps.catalog.get(env.image) : undefined;
    const text = renderComment(data.kind, adapter.locale, {
      ...(env ? { env } : {}),
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      ...(image ? { imageLabel: `${image.distribution} ${image.version}` } : {}),
      ...(data.reason ? { reason: data.reason } : {}),
      ...(data.quota ? { quota: data.quota } : {}),
      ...(data.kind === 'rejected' ? { images: deps.catalog.list().map((i) => i.name).sort() } : {}),
      ...(transcript ? { transcript } : {}),
    });
    let posted: void | false;
    try {
      posted = await adapter.postComment(data.ticket, text, { internal: true });
    } catch (err) {
      const final = !isRetryable(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const message = `${data.kind} comment on ${data.system}:${data.ticket.id} failed (attempt ${job.attemptsMade + 1}): ${(err as Error).message}`;
      await fail(message, final);
      if (final) throw new UnrecoverableError(message);
      throw err;
    }
    if (!data.envId) return;
    await deps.events.append(data.envId, posted === false
      ? { type: 'notify.skipped', actor: ACTOR, message: `${data.kind} comment not posted on ${data.system}:${data.ticket.id}: ${data.system} is set up to take no comments` }
      : { type: 'notify.sent', actor: ACTOR, message: `${data.kind} comment posted on ${data.system}:${data.ticket.id}` });
  };
}

async function loadTranscript(deps: NotifyDeps, sessionId: string | undefined): Promise<TranscriptComment | undefined> {
  if (!sessionId) return undefined;
  const [session, cast] = await Promise.all([deps.transcripts.get(sessionId), deps.transcripts.cast(sessionId)]);
  if (!session || cast === undefined) return undefined;
  const { text, cut } = castToText(cast, deps.attachMaxBytes);
  return { session, text, cut: cut || session.truncated };
}
