import { UnrecoverableError, type Job } from 'bullmq';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentRecord, Provenance } from '../domain/environment.js';
import type { BuildStore } from '../images/buildStore.js';
import { ReproError, isRetryable } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import type { Metrics } from '../app/createMetrics.js';
import type { Provisioner } from '../provisioners/port.js';
import type { Queues } from '../queue/createQueues.js';
import { ProvisionJob, parsePayload } from '../queue/payloads.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { SecretBox } from '../secrets/secretBox.js';
import { SEALED_ACCESS } from '../store/environmentStore.js';
import { SYSTEM_ACTORS } from '../domain/systemActors.js';

export interface ProvisionDeps {
  hostId: string;
  instance: string;
  pidsLimit: number;
  /** How often a running attempt looks for a destroy request, which cancels it. */
  cancelCheckMs: number;
  clock: Clock;
  catalog: Catalog;
  builds: BuildStore;
  store: EnvironmentStore;
  events: EventStore;
  queues: Queues;
  metrics: Metrics;
  provisioner: Provisioner;
  secrets: SecretBox;
}

const ACTOR = SYSTEM_ACTORS.worker;
const BUILD_WAIT_MS = 60 * 60_000;
const BUILD_POLL_MS = 1000;

/**
 * The build a container environment starts from: the exact one it asks for (`from`), else the
 * image's serving build, waiting first for a build under way (pre-warm, an admin's build) so
 * the environment gets it instead of failing or taking an older one. Undefined when the image
 * has no recorded build: the provisioner then runs the image's floating tag.
 */
async function servingBuild(deps: ProvisionDeps, env: EnvironmentRecord, progress: (line: string) => void): Promise<{ tag: string; revision: number } | undefined> {
  if (env.imageTag) {
    const source = env.from ? await deps.store.get(env.from) : undefined;
    return { tag: env.imageTag, revision: source?.provenance?.imageRevision ?? 1 };
  }
  let last = (await deps.builds.list(env.image, 1))[0];
  if (last && (last.state === 'queued' || last.state === 'running')) {
    progress(`waiting for build ${last.id} of image ${env.image} (${last.state})`);
    const deadline = Date.now() + BUILD_WAIT_MS;
    while (last && (last.state === 'queued' || last.state === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, BUILD_POLL_MS));
      last = await deps.builds.get(last.id);
    }
    progress(`build ${last?.id ?? ''} ${last?.state ?? 'gone'}`);
  }
  const current = await deps.builds.current(env.image);
  return current ? { tag: current.tag, revision: current.revision } : undefined;
}

/** One provision attempt. Errors tell BullMQ whether to retry; the last failure gives up to destroying. */
export function createProvisionProcessor(deps: ProvisionDeps) {
  const { store, events, queues, provisioner } = deps;

  async function giveUp(env: EnvironmentRecord, reason: string): Promise<void> {
    const r = await store.transition(env.id, { to: 'destroying', from: ['failed', 'provisioning'], event: { type: 'gave-up', actor: ACTOR, message: `giving up: ${reason}` } });
    if (r.ok) await queues.destroy({ id: env.id, hostId: deps.hostId }, 'provisioning gave up', deps.hostId);
  }

  return async function processProvision(job: Job): Promise<void> {
    const { envId } = parsePayload(ProvisionJob, job.data);
    const env = await store.get(envId);
    if (!env || env.state === 'destroying' || env.state === 'destroyed' || env.state === 'ready') return;

    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // From requested or failed (a retry), or provisioning again when a worker died mid-attempt.
    const start = await store.transition(envId, {
      to: 'provisioning',
      from: ['requested', 'failed', 'provisioning'],
      divertOnDestroyRequest: 'destroying',
      patch: { hostId: deps.hostId, provisionStartedAt: deps.clock.now().toISOString() },
      unset: ['error'],
      event: { type: 'provisioning', actor: ACTOR, message: `attempt ${attempt} of ${maxAttempts} on host ${deps.hostId}` },
    });
    if (!start.ok) return;
    if (start.to === 'destroying') {
      await queues.destroy({ id: envId, hostId: deps.hostId }, 'destroy requested before provisioning', deps.hostId);
      return;
    }

    await deps.catalog.refresh?.();
    const image = deps.catalog.get(env.image);
    // A destroy asked meanwhile (requestDestroy marks the record) cancels the running step.
    const cancel = new AbortController();
    const watch = setInterval(() => {
      void store.get(envId).then((r) => { if (r?.destroyRequested) cancel.abort(); }, () => undefined);
    }, deps.cancelCheckMs);
    try {
      if (!image) throw new ReproError('image_missing', `image ${env.image} left the catalog`, { retryable: false });
      const progress = (line: string) => {
        void events.append(envId, { type: 'progress', actor: ACTOR, message: line.slice(0, 2000) }).catch(() => undefined);
      };
      const build = env.kind === 'container' ? await servingBuild(deps, env, progress) : undefined;
      const result = await provisioner.create(
        {
          envId, instance: deps.instance, ticket: env.ticket, image, packages: env.packages, limits: { ...env.resources, pids: deps.pidsLimit },
          ...(build?.tag ? { imageTag: build.tag } : {}),
        },
        progress,
        cancel.signal,
      );
      clearInterval(watch);
      const readyAt = deps.clock.now();
      // The record (listings, GET, ticket comments) gets the public part; secrets are sealed apart.
      const { privateKey, ...access } = result.access;
      const sealed = privateKey === undefined ? {} : { [SEALED_ACCESS]: deps.secrets.seal(JSON.stringify({ privateKey }), envId) };
      const provenance: Provenance | undefined = result.imageRef
        ? { imageRevision: build?.revision ?? 1, imageTag: result.imageRef.tag, imageDigest: result.imageRef.digest, packages: result.installed ?? {}, ...(result.snapshot ? { snapshot: result.snapshot } : {}) }
        : undefined;
      const done = await store.transition(envId, {
        to: 'ready',
        from: ['provisioning'],
        divertOnDestroyRequest: 'destroying',
        patch: { access, engine: result.engine, readyAt: readyAt.toISOString(), ...sealed, ...(provenance ? { provenance } : {}) },
        event: { type: 'ready', actor: ACTOR, message: `ready: ${access.command ?? access.name}` },
      });
      if (done.ok && done.to === 'destroying') {
        await queues.destroy({ id: envId, hostId: deps.hostId }, 'destroy requested during provisioning', deps.hostId);
      } else if (done.ok) {
        deps.metrics.provisionDuration.observe({ kind: env.kind, image: env.image }, (readyAt.getTime() - Date.parse(env.createdAt)) / 1000);
      }
    } catch (err) {
      clearInterval(watch);
      if (cancel.signal.aborted) {
        const r = await store.transition(envId, { to: 'destroying', from: ['provisioning'], event: { type: 'cancelled', actor: ACTOR, message: 'provisioning cancelled: a destroy was requested' } });
        if (r.ok) await queues.destroy({ id: envId, hostId: deps.hostId }, 'destroy requested during provisioning', deps.hostId);
        return;
      }
      const retry = isRetryable(err) && attempt < maxAttempts;
      const error = { code: err instanceof ReproError ? err.code : 'provision_failed', message: (err as Error).message.slice(0, 4000) };
      deps.metrics.provisionFailures.inc({ kind: env.kind, final: String(!retry) });
      await store.transition(envId, {
        to: 'failed',
        from: ['provisioning'],
        patch: { error },
        event: { type: 'failed', actor: ACTOR, message: `attempt ${attempt} failed: ${error.message}`, data: { retry } },
      });
      if (!retry) {
        await giveUp(env, error.message);
        throw new UnrecoverableError(error.message);
      }
      throw err;
    }
  };
}
