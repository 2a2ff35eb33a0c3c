import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker, type Job, type Processor } from 'bullmq';
import Docker from 'dockerode';
import type { Redis } from 'ioredis';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Provisioner } from '../provisioners/port.js';
import { jobRetention } from '../queue/jobRetention.js';
import { queueNames } from '../queue/names.js';
import { BuildJob, parsePayload } from '../queue/payloads.js';
import { workerMetrics } from '../queue/workerMetrics.js';
import { mirrorsFrom } from '../images/buildOptions.js';
import { prewarm } from '../images/prewarm.js';
import { runBuild, type RunBuildDeps } from '../images/runBuild.js';
import { tagsInUse } from '../images/tagsInUse.js';
import { dockerClientOptions } from '../docker/dockerClientOptions.js';
import type { Deps } from '../app/buildDeps.js';
import { startTicketWorkers } from '../tickets/startTicketWorkers.js';
import { createDestroyProcessor } from './destroyProcessor.js';
import { createExpireProcessor } from './expireProcessor.js';
import { createMaintenanceProcessor } from './maintenanceProcessor.js';
import { createProvisionProcessor } from './provisionProcessor.js';
import { ensureDeploymentId } from '../store/deploymentId.js';

export interface Workers {
  /** The deployment id these workers label resources with and sweep for. */
  deployment: string;
  close(): Promise<void>;
}

/** Starts the workers for the provisioners this host serves, plus TTL expiry and this host's maintenance. */
export async function startWorkers(deps: Deps, connection: Redis): Promise<Workers> {
  const { config, log } = deps;
  const prefix = deps.keys.queues;
  const workers: Worker[] = [];
  // A dead worker's job is noticed by the stalled check and retried once its lock lapses.
  const lock = { lockDuration: config.jobLockMs, stalledInterval: config.jobLockMs };
  const add = (name: string, processor: Processor, concurrency: number) => {
    const worker = new Worker(name, processor, { connection, prefix, concurrency, metrics: workerMetrics, ...lock });
    worker.on('failed', (job: Job | undefined, err: Error) => log.warn({ queue: name, jobId: job?.id, err: err.message }, 'job failed'));
    worker.on('error', (err) => log.error({ queue: name, err: err.message }, 'worker error'));
    workers.push(worker);
  };

  const deployment = await ensureDeploymentId(deps.redis, deps.keys);
  if (deployment.created) log.info({ deployment: deployment.id }, 'new deployment id created (none was recorded in this Redis)');
  const instance = deployment.id;
  const provisioners = deps.provisioners as Partial<Record<EnvironmentKind, Provisioner>>;
  for (const [kind, provisioner] of Object.entries(provisioners) as Array<[EnvironmentKind, Provisioner]>) {
    add(queueNames.provision(kind), createProvisionProcessor({ ...deps, hostId: config.hostId, instance, pidsLimit: config.limits.pids, cancelCheckMs: config.cancelCheckMs, provisioner }), config.provisionConcurrency);
  }
  // Builds need the Docker engine: hosts serving containers take them, one at a time (disk- and CPU-bound).
  if (provisioners.container) {
    const clientOptions = dockerClientOptions(config.dockerHost);
    const docker = clientOptions ? new Docker(clientOptions) : new Docker();
    const buildDeps: RunBuildDeps = {
      catalog: deps.catalog, builds: deps.builds, clock: deps.clock, hostId: config.hostId, keepBuilds: config.images.keepBuilds,
      build: { docker, mirrors: mirrorsFrom(config), workDir: join(config.dataDir, 'tmp'), ...(config.images.registry ? { registry: config.images.registry } : {}) },
      tagsInUse: () => tagsInUse(deps.store),
    };
    await mkdir(buildDeps.build.workDir, { recursive: true });
    add(queueNames.imageBuild, async (job: Job) => runBuild(buildDeps, parsePayload(BuildJob, job.data).buildId), 1);
    await prewarm(config.images.prewarm, { catalog: deps.catalog, builds: deps.builds, queueBuild: (id) => deps.queues.build(id) }, (m) => log.warn(m));
  }
  add(queueNames.destroy(config.hostId), createDestroyProcessor({ ...deps, provisioners }), 10);
  add(queueNames.expire, createExpireProcessor(deps), 5);
  const maintenance = createMaintenanceProcessor({
    ...deps, hostId: config.hostId, instance, provisioners,
    log: (msg, data) => log.info(data ?? {}, msg),
    warn: (msg, data) => log.error(data ?? {}, msg),
  });
  add(queueNames.maintenance(config.hostId), async () => maintenance(), 1);
  await deps.queues.get(queueNames.maintenance(config.hostId)).upsertJobScheduler(
    'sweep', { every: config.maintenanceIntervalMs }, { name: 'sweep', opts: jobRetention.sweep },
  );
  const tickets = await startTicketWorkers(deps, deps.ticketing, connection);
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    deployment: instance,
    async close() {
      // Let running jobs finish their current step; a killed one is retried elsewhere after its lock expires.
      await Promise.all(workers.map((w) => w.close()));
      await tickets.close();
    },
  };
}
