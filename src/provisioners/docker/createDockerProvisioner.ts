import Docker from 'dockerode';
import { CancelledError, ConflictError, NotFoundError, ProviderError, ValidationError } from '../../domain/errors.js';
import {
  LABELS,
  resourceLabels,
  type ExecOptions,
  type ExecResult,
  type ManagedResource,
  type ProgressSink,
  type ProvisionResult,
  type ProvisionSpec,
  type Provisioner,
} from '../port.js';
import { containerOptions, nanoCpus, networkOptions, resourceName } from './containerOptions.js';
import { dockerClientOptions } from '../../docker/dockerClientOptions.js';
import { dockerFailure, dockerStatus } from '../../docker/dockerFailure.js';
import { execInContainer } from './execInContainer.js';
import { openContainerTerminal } from './openContainerTerminal.js';
import { installPackages } from './installPackages.js';
import { createPackageSnapshots, type SnapshotLookup } from './packageSnapshots.js';
import type { SnapshotBudget } from '../pruneToBudget.js';
import { removeContainer, removeNetwork } from './removeResources.js';

export interface DockerProvisionerOptions {
  /** DOCKER_HOST-style URL (config.dockerHost); the environment's DOCKER_HOST when absent. */
  dockerHost?: string;
  /** Recorded as `io.repro.host` on every resource, so operators see which worker made it. */
  hostId?: string;
  /** Bound on the package installation of one environment. */
  installTimeoutMs?: number;
  /** The host's package cache (config packageCache.url); package managers use it as their proxy. */
  packageCacheUrl?: string;
  /** Package-set snapshot budget (config snapshots); none kept when absent or maxCount is 0. */
  snapshots?: SnapshotBudget;
  /** Where snapshots are tagged (default repro/snapshot); the budget counts only this repository's. */
  snapshotRepository?: string;
}

const HOST_LABEL = 'io.repro.host';
const ENV_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/;
const READY_TIMEOUT_MS = 30_000;

/** Containers on the local (or DOCKER_HOST) engine, one bridge network each. */
export function createDockerProvisioner(opts: DockerProvisionerOptions = {}): Provisioner {
  const clientOptions = dockerClientOptions(opts.dockerHost);
  const docker = clientOptions ? new Docker(clientOptions) : new Docker();
  const installTimeoutMs = opts.installTimeoutMs ?? 15 * 60_000;
  const managedFilter = { label: [`${LABELS.managed}=true`] };
  const snapshots = opts.snapshots && opts.snapshots.maxCount > 0 ? createPackageSnapshots(docker, opts.snapshots, opts.packageCacheUrl, opts.snapshotRepository) : undefined;
  let pruning: Promise<void> = Promise.resolve();

  /**
   * The network and the container are created side by side: the engine accepts a container naming
   * a network that does not exist yet and only needs it at start. Both are waited for, so a
   * failure never leaves the other half still being created.
   */
  async function createResources(spec: ProvisionSpec, tag: string, labels: Record<string, string>, installing: boolean): Promise<Docker.Container> {
    const [network, container] = await Promise.allSettled([
      docker.createNetwork(networkOptions(spec.envId, labels)),
      docker.createContainer(containerOptions(spec, tag, labels, installing)),
    ]);
    if (network.status === 'rejected') throw network.reason;
    if (container.status === 'rejected') throw container.reason;
    return container.value;
  }

  /**
   * Keeps the installed result for the next identical request; a failure here costs only the
   * snapshot. The commit happens before the environment is handed over (nothing its user does may
   * end up in a snapshot other tickets start from); pruning touches only other images, so it runs
   * after, off the request's path, one prune at a time.
   */
  async function keepSnapshot(container: Docker.Container, spec: ProvisionSpec, tag: string, found: SnapshotLookup, installed: Record<string, string>, progress: ProgressSink): Promise<void> {
    if (!snapshots) return;
    try {
      await snapshots.save(container, found, { baseTag: tag, family: spec.image.family, packages: spec.packages, installed, envId: spec.envId });
      progress(`kept package-set snapshot ${found.key.slice(0, 12)}`);
    } catch (err) {
      progress(`keeping a package-set snapshot failed: ${dockerFailure(err, 'committing a snapshot').message}`);
      return;
    }
    pruning = pruning.then(() => snapshots.prune({ baseTag: tag, baseId: found.baseId })).then(
      (removed) => { if (removed.length > 0) progress(`pruned ${removed.length} older snapshot(s)`); },
      (err: unknown) => progress(`pruning package-set snapshots failed: ${dockerFailure(err, 'pruning snapshots').message}`),
    );
  }

  async function destroy(envId: string): Promise<void> {
    const name = resourceName(checkEnvId(envId));
    try {
      await removeContainer(docker, name);
      await removeNetwork(docker, name);
    } catch (err) {
      throw dockerFailure(err, `removing environment ${envId}`);
    }
  }

  /** Network, container, packages, readiness; `started` hears of the container once it exists. */
  async function createContainer(spec: ProvisionSpec, progress: ProgressSink, signal: AbortSignal | undefined, started: (c: Docker.Container) => void): Promise<ProvisionResult> {
    const tag = spec.imageTag ?? spec.image.container?.tag;
    if (spec.image.container === undefined || tag === undefined) throw new ProviderError(`image ${spec.image.name} has no container settings`, { retryable: false });
    const name = resourceName(spec.envId);
    const labels = { ...resourceLabels(spec), ...(opts.hostId ? { [HOST_LABEL]: opts.hostId } : {}) };
    signal?.throwIfAborted();
    let container: Docker.Container;
    let found: SnapshotLookup | undefined;
    let installing = false;
    try {
      if (snapshots && spec.packages.length > 0) found = await snapshots.lookup(tag, spec.image.family, spec.packages);
      const from = found?.hit?.image ?? tag;
      installing = spec.packages.length > 0 && !found?.hit;
      progress(`creating network and container ${name} from ${found?.hit ? `package-set snapshot ${found.key.slice(0, 12)} of ${tag}` : tag}`);
      // The common case has nothing to clean up, so try first and only clear leftovers of an
      // interrupted attempt when the engine reports a name conflict.
      container = await createResources(spec, from, labels, installing).catch(async (err: unknown) => {
        if (dockerStatus(err) !== 409) throw err;
        progress('removing leftovers of an earlier attempt');
        await destroy(spec.envId);
        return createResources(spec, from, labels, installing);
      });
      started(container);
      signal?.throwIfAborted();
      await Promise.all([container.start(), found?.hit ? snapshots?.touch(found.key) : undefined]);
    } catch (err) {
      if (dockerStatus(err) === 404 && /image/i.test(String(err))) {
        throw new ProviderError(`image ${tag} is not built on this Docker engine; run npx tsx scripts/build-images.ts ${spec.image.name}`, {
          retryable: false,
          cause: err,
        });
      }
      throw dockerFailure(err, `creating ${name}`);
    }
    // The build the environment descends from: from a snapshot, the snapshot's base.
    const digest = found
      ? Promise.resolve(found.baseId)
      : container.inspect().then((info) => info.Image, (err: unknown) => { throw dockerFailure(err, `inspecting ${name}`); });
    // Awaited once the container is ready; a failure before that must not go unhandled.
    digest.catch(() => undefined);
    let installed: Record<string, string> = found?.hit?.installed ?? {};
    try {
      if (installing) {
        signal?.throwIfAborted();
        progress(`installing ${spec.packages.join(' ')}`);
        // The install's own execs succeeding is the readiness check: the container answers exec.
        installed = await installPackages(container, spec.image, spec.packages, progress, installTimeoutMs, opts.packageCacheUrl);
        progress(`installed ${Object.entries(installed).map(([n, v]) => `${n} ${v}`).join(', ')}`);
        signal?.throwIfAborted();
        await Promise.all([
          container.update({ NanoCpus: nanoCpus(spec) }),
          found ? keepSnapshot(container, spec, tag, found, installed, progress) : undefined,
        ]);
      } else {
        signal?.throwIfAborted();
        const check = await execInContainer(container, ['true'], { timeoutMs: READY_TIMEOUT_MS, maxOutputBytes: 4096 });
        if (check.exitCode !== 0) {
          throw new ProviderError(`readiness check exited with ${check.exitCode}: ${check.stderr.trim()}`, { retryable: true });
        }
      }
    } catch (err) {
      throw dockerFailure(err, `preparing ${name}`);
    }
    const imageRef = { tag, digest: await digest };
    // The way in for people off this host: the CLI's terminal, through the API.
    // The worker's ready event announces it; no progress line of our own (it would show twice).
    const command = `repro shell ${spec.envId}`;
    return { access: { name, command }, engine: 'docker', installed, imageRef, ...(found?.hit ? { snapshot: found.key } : {}) };
  }

  return {
    kind: 'container',

    async ping() {
      try {
        await docker.ping();
      } catch (err) {
        throw dockerFailure(err, 'answering a ping');
      }
    },

    async create(spec: ProvisionSpec, progress: ProgressSink, signal?: AbortSignal): Promise<ProvisionResult> {
      checkEnvId(spec.envId);
      let container: Docker.Container | undefined;
      // The engine cannot cancel an exec; killing the container ends whatever runs in it (apt included).
      const stop = () => void container?.kill().catch(() => undefined);
      signal?.addEventListener('abort', stop, { once: true });
      try {
        return await createContainer(spec, progress, signal, (c) => { container = c; });
      } catch (err) {
        if (signal?.aborted) throw new CancelledError(`provisioning ${spec.envId} was cancelled: a destroy was requested`);
        throw err;
      } finally {
        signal?.removeEventListener('abort', stop);
      }
    },

    async inspect(envId) {
      const name = resourceName(checkEnvId(envId));
      try {
        const info = await docker.getContainer(name).inspect();
        return { running: info.State.Running };
      } catch (err) {
        if (dockerStatus(err) !== 404) throw dockerFailure(err, `inspecting ${name}`);
      }
      try {
        await docker.getNetwork(name).inspect();
        return { running: false };
      } catch (err) {
        if (dockerStatus(err) === 404) return undefined;
        throw dockerFailure(err, `inspecting network ${name}`);
      }
    },

    destroy,

    async list(): Promise<ManagedResource[]> {
      try {
        const [containers, networks] = await Promise.all([
          docker.listContainers({ all: true, filters: managedFilter }),
          docker.listNetworks({ filters: managedFilter }),
        ]);
        // Containers first: a network cannot go while a container still uses it.
        return [
          ...containers.map((c) => managedResource('container', c.Id, c.Labels)),
          ...networks.map((n) => managedResource('network', n.Id, n.Labels ?? {})),
        ];
      } catch (err) {
        throw dockerFailure(err, 'listing managed resources');
      }
    },

    async remove(resource) {
      try {
        if (resource.type === 'container') await removeContainer(docker, resource.id);
        else if (resource.type === 'network') await removeNetwork(docker, resource.id);
        else throw new ProviderError(`the Docker provisioner has no resource type ${resource.type}`, { retryable: false });
      } catch (err) {
        throw dockerFailure(err, `removing ${resource.type} ${resource.id}`);
      }
    },

    async exec(envId: string, command: string[], execOpts: ExecOptions): Promise<ExecResult> {
      if (command.length === 0) throw new ValidationError('command: needs at least the program to run', 'command');
      const name = resourceName(checkEnvId(envId));
      try {
        return await execInContainer(docker.getContainer(name), command, execOpts);
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 404) throw new NotFoundError('environment', envId);
        if (status === 409) throw new ConflictError('environment_not_running', `environment ${envId} is not running`);
        throw dockerFailure(err, `running a command in ${name}`);
      }
    },

    async openTerminal(envId, size) {
      const name = resourceName(checkEnvId(envId));
      try {
        return await openContainerTerminal(docker.getContainer(name), size);
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 404) throw new NotFoundError('environment', envId);
        if (status === 409) throw new ConflictError('environment_not_running', `environment ${envId} is not running`);
        throw dockerFailure(err, `opening a terminal in ${name}`);
      }
    },
  };
}

function checkEnvId(envId: string): string {
  if (!ENV_ID.test(envId)) throw new ValidationError(`environment id "${envId}" cannot name a container`, 'envId');
  return envId;
}

function managedResource(type: string, id: string, labels: Record<string, string>): ManagedResource {
  const ticket = labels[LABELS.ticket];
  const instance = labels[LABELS.instance];
  return { type, id, envId: labels[LABELS.environment] ?? '', ...(ticket ? { ticket } : {}), ...(instance ? { instance } : {}) };
}
