import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, NotFoundError, ProviderError, ValidationError } from '../../domain/errors.js';
import { installedQuery, parseInstalled } from '../../domain/packages.js';
import { packageManagerOf } from '../../images/catalog.js';
import type { SnapshotBudget } from '../pruneToBudget.js';
import type { ExecOptions, ManagedResource, ProgressSink, ProvisionResult, ProvisionSpec, Provisioner } from '../port.js';
import { createDirectEngine, teardownVm } from './createDirectEngine.js';
import { domainAddress, destroyDomain, inspectDomain, listDomains } from './domains.js';
import { createKeyPair, readPrivateKey } from './keyPair.js';
import { envIdOfVolume, vmNames } from './names.js';
import { createPortForwarder } from './portForwarder.js';
import { domainTypeOf, isKvmFailure, rememberDomainType } from './probeDomainType.js';
import { READY_FILE, READY_MARKER } from './seedFiles.js';
import { resolveEngine } from './resolveEngine.js';
import { watchSerialLog } from './serialLogWatcher.js';
import { sshExec, type SshTarget } from './sshExec.js';
import { sshShell } from './sshShell.js';
import { createVirsh } from './virsh.js';
import type { EngineName, VmEngine } from './vmEngine.js';
import type { VmStackConfig } from './vmStackConfig.js';
import { createVmSnapshots, type VmSnapshotLookup } from './vmSnapshots.js';
import { deleteVolume, listVolumes } from './volumes.js';

export interface LibvirtProvisionerOptions {
  /** The `libvirt` settings: uri, engine (auto|direct|pulumi), network, sshHost, pulumiPassphrase. */
  libvirt: { uri: string; engine: 'auto' | EngineName; network: string; sshHost: string; pulumiPassphrase?: string };
  /** Base qcow2 paths of the catalog resolve here; state, pool and Pulumi backend live here. */
  dataDir: string;
  /** Folder holding Pulumi.yaml; default: this repository. */
  projectDir?: string;
  /** libvirt storage pool for overlays and seeds; default `repro-<hash of the path>` at `<dataDir>/libvirt-pool`. */
  pool?: string;
  /** Boot + cloud-init budget (TCG with packages can take minutes); default 15 min. */
  readyTimeoutMs?: number;
  /** Tests and the bench inject an engine; otherwise resolved from `libvirt.engine`. */
  engine?: VmEngine;
  /**
   * Package-set snapshot budget (config snapshots), kept under `<dataDir>/vm-snapshots`; none
   * kept when absent, when maxCount is 0, or when the hypervisor is another host.
   */
  snapshots?: SnapshotBudget;
  /**
   * The host's package cache (config packageCache.url), as the guests reach it: their package
   * manager's HTTP proxy. None when absent: guests fetch from their mirror directly.
   */
  packageCacheUrl?: string;
  /** How long a looked-up snapshot is safe from pruning before its overlay shows it in use; default 5 min. */
  snapshotClaimGraceMs?: number;
}

export interface LibvirtProvisioner extends Provisioner {
  readonly engine: EngineName;
  /** Stops the SSH forwarders (graceful shutdown); the VMs keep running. */
  close(): Promise<void>;
}

/** In a VM's state dir: the deployment that made it. */
const OWNER_FILE = 'owner';
const SSH_CHECK: ExecOptions = { timeoutMs: 20_000, maxOutputBytes: 4096 };
/** The guest's machine-id, set aside while its disk is copied (networkd's DHCP client id derives from it). */
const KEPT_MACHINE_ID = '/run/repro-machine-id';

export function createLibvirtProvisioner(o: LibvirtProvisionerOptions): LibvirtProvisioner {
  const dataDir = resolve(o.dataDir);
  const uri = o.libvirt.uri;
  const virsh = createVirsh(uri);
  const poolPath = join(dataDir, 'libvirt-pool');
  // One pool per data dir: two deployments (or checkouts) on one hypervisor never share a pool,
  // whose target directory the other could remove.
  const pool = o.pool ?? `repro-${createHash('sha256').update(poolPath).digest('hex').slice(0, 8)}`;
  const stateRoot = join(dataDir, 'vms');
  const projectDir = o.projectDir ?? fileURLToPath(new URL('../../..', import.meta.url));
  const readyTimeoutMs = o.readyTimeoutMs ?? 15 * 60_000;
  // The serial log is a file virtlogd writes on the hypervisor: readable only when it is this host.
  const localHypervisor = /^[a-z+]+:\/\/\//.test(uri);
  const forwarder = createPortForwarder(o.libvirt.sshHost);
  const direct = { uri, pool };
  const engineName = o.engine?.name ?? resolveEngine(o.libvirt.engine);
  let engineInstance: Promise<VmEngine> | undefined;
  const engine = () => (engineInstance ??= o.engine ? Promise.resolve(o.engine) : buildEngine(engineName, projectDir, dataDir, direct, o.libvirt.pulumiPassphrase));
  const snapshots =
    o.snapshots && o.snapshots.maxCount > 0 && localHypervisor
      ? createVmSnapshots({ dir: join(dataDir, 'vm-snapshots'), poolPath, budget: o.snapshots, ...optional('proxyUrl', o.packageCacheUrl), ...optional('claimGraceMs', o.snapshotClaimGraceMs) })
      : undefined;

  const stateDir = (envId: string) => join(stateRoot, envId);
  const target = (envId: string) => async () => {
    const ip = await domainAddress(virsh, vmNames(envId).domain);
    return ip ? { host: ip, port: 22 } : undefined;
  };
  /** After a worker restart the forwards are gone: reopen them on the port the domain recorded. */
  const ensureForward = async (envId: string, port: number) => {
    if (forwarder.get(envId)) return;
    await forwarder.open(envId, port, target(envId));
  };
  /**
   * `forward`: the path users get (the readiness check proves it works). `direct`: the guest's
   * own address, for exec, which may run in another process (the API) than the forwarder's.
   */
  const sshTo = async (envId: string, via: 'forward' | 'direct') => {
    const info = await inspectDomain(virsh, vmNames(envId).domain);
    const privateKey = await readPrivateKey(stateDir(envId));
    if (!info || !privateKey) throw new NotFoundError('environment', envId);
    const user = info.metadata.user;
    if (via === 'forward') {
      await ensureForward(envId, info.metadata.sshPort);
      return { host: o.libvirt.sshHost, port: info.metadata.sshPort, user, privateKey };
    }
    const to = await target(envId)();
    if (!to) throw new ProviderError(`VM ${envId} has no address on network ${o.libvirt.network} yet`);
    return { ...to, user, privateKey };
  };

  const waitReady = async (envId: string, serialLog: string | undefined, progress: ProgressSink, signal?: AbortSignal): Promise<void> => {
    const deadline = Date.now() + readyTimeoutMs;
    if (serialLog) {
      const prefix = `${READY_MARKER} ${envId} `;
      const status = await watchSerialLog(serialLog, {
        timeoutMs: readyTimeoutMs,
        ...optional('signal', signal),
        onLine: progress,
        match: (line) => (line.includes(prefix) ? line.slice(line.indexOf(prefix) + prefix.length).trim() : undefined),
      });
      signal?.throwIfAborted();
      if (status === undefined) throw new ProviderError(`VM ${envId} not ready after ${readyTimeoutMs / 1000}s`);
      if (status !== 'ok') throw new ProviderError(`VM ${envId} finished cloud-init with "${status}"`, { retryable: false });
    }
    // The console said ready (or there is no console to read): confirm through the access path users get.
    for (;;) {
      signal?.throwIfAborted();
      try {
        const r = await sshExec(await sshTo(envId, 'forward'), ['cat', READY_FILE], SSH_CHECK);
        const status = r.stdout.trim();
        if (r.exitCode === 0 && status === 'ok') return;
        if (r.exitCode === 0 && status) throw new ProviderError(`VM ${envId} finished cloud-init with "${status}"`, { retryable: false });
      } catch (err) {
        if (err instanceof ProviderError && !err.retryable) throw err;
        if (Date.now() > deadline) throw new ProviderError(`VM ${envId} not reachable over SSH: ${(err as Error).message}`, { cause: err });
      }
      if (Date.now() > deadline) throw new ProviderError(`VM ${envId} not ready after ${readyTimeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  /** `name → version` of the asked packages, from the guest's package database. */
  const installedIn = async (to: SshTarget, spec: ProvisionSpec): Promise<Record<string, string>> => {
    const r = await sshExec(to, installedQuery(packageManagerOf(spec.image), spec.packages), { timeoutMs: 60_000, maxOutputBytes: 1 << 20 });
    if (r.exitCode !== 0) throw new ProviderError(`asking the guest's package database failed: ${r.stderr.trim()}`);
    return parseInstalled(r.stdout);
  };

  /**
   * Copies the ready VM's overlay (base + packages) as the snapshot of its package set. The guest
   * syncs and forgets its machine-id (a clone must make its own), qemu flushes the qcow2 when the
   * domain is paused, the copy is made, the guest resumes and gets its machine-id back.
   * A failure here costs only the snapshot.
   */
  async function keepSnapshot(spec: ProvisionSpec, base: string, found: VmSnapshotLookup, installed: Record<string, string>, progress: ProgressSink): Promise<void> {
    if (!snapshots) return;
    const domain = vmNames(spec.envId).domain;
    try {
      const to = await sshTo(spec.envId, 'direct');
      const guest = async (script: string) => {
        const r = await sshExec(to, ['sudo', 'sh', '-c', script], SSH_CHECK);
        if (r.exitCode !== 0) throw new ProviderError(`guest command failed: ${r.stderr.trim()}`);
      };
      await guest(`cp /etc/machine-id ${KEPT_MACHINE_ID} && : > /etc/machine-id && sync`);
      let saved: boolean;
      try {
        await virsh.run(['suspend', domain]);
        try {
          saved = await snapshots.save(join(poolPath, vmNames(spec.envId).overlay), found, { base, family: spec.image.family, packages: spec.packages, installed, envId: spec.envId });
        } finally {
          await virsh.run(['resume', domain]);
        }
      } finally {
        await guest(`cat ${KEPT_MACHINE_ID} > /etc/machine-id && rm -f ${KEPT_MACHINE_ID}`);
      }
      if (saved) progress(`kept package-set snapshot ${found.key.slice(0, 12)}`);
      const removed = await snapshots.prune({ base, baseId: found.baseId });
      if (removed.length > 0) progress(`pruned ${removed.length} older VM snapshot(s)`);
    } catch (err) {
      progress(`keeping a package-set snapshot failed: ${(err as Error).message}`);
    }
  }

  async function createVm(spec: ProvisionSpec, progress: ProgressSink, signal: AbortSignal | undefined): Promise<ProvisionResult> {
    const vm = spec.image.vm;
    if (!vm) throw new ValidationError(`image ${spec.image.name} has no VM settings`, 'image');
    signal?.throwIfAborted();
    // Probed once per process; on its first create, alongside the steps below.
    const domainType = domainTypeOf(virsh);
    const names = vmNames(spec.envId);
    const dir = stateDir(spec.envId);
    await forwarder.close(spec.envId);
    await rm(dir, { recursive: true, force: true });
    const keys = await createKeyPair(dir, `repro-${spec.envId}`);
    // Volumes carry no labels: the owner recorded here claims them when no domain does.
    if (spec.instance !== undefined) await writeFile(join(dir, OWNER_FILE), spec.instance);
    const forward = await forwarder.open(spec.envId, 0, target(spec.envId));
    const inData = (p: string | undefined) => (p === undefined ? undefined : isAbsolute(p) ? p : join(dataDir, p));
    const serialLog = localHypervisor ? join(dir, 'serial.log') : undefined;
    const base = inData(vm.disk) ?? vm.disk;
    const found = snapshots && spec.packages.length > 0 ? await snapshots.lookup(base, spec.image.family, spec.packages) : undefined;
    if (found?.hit) progress(`starting from package-set snapshot ${found.key.slice(0, 12)} of ${base}`);
    const config: VmStackConfig = {
      envId: spec.envId,
      ticket: `${spec.ticket.system}:${spec.ticket.id}`,
      ...optional('instance', spec.instance),
      image: spec.image.name,
      disk: found?.hit?.disk ?? base,
      ...optional('kernel', inData(vm.kernel)),
      ...optional('initrd', inData(vm.initrd)),
      ...optional('cmdline', vm.cmdline),
      cpus: Math.max(1, Math.ceil(spec.limits.cpus)),
      memoryMb: spec.limits.memoryMb,
      diskGb: Math.max(spec.limits.diskGb ?? vm.diskGb, vm.diskGb),
      user: vm.user,
      packages: spec.packages,
      ...(found?.hit ? { preinstalled: true } : {}),
      packageManager: packageManagerOf(spec.image),
      ...optional('packageCacheUrl', o.packageCacheUrl),
      ...(vm.cloudInit ? { cloudInit: vm.cloudInit } : {}),
      sshPublicKey: keys.publicKey,
      libvirtUri: uri,
      network: o.libvirt.network,
      pool,
      poolPath,
      domainType: await domainType,
      sshPort: forward.port,
      ...optional('serialLog', serialLog),
    };
    progress(`applying VM resources with the ${engineName} engine`);
    try {
      await (await engine()).apply(config, progress);
    } catch (err) {
      if (config.domainType !== 'kvm' || !isKvmFailure(err)) throw err;
      // The probe's guest started but this one could not: remember TCG for this host and go on.
      rememberDomainType(uri, 'qemu');
      progress('KVM is not usable on this host; starting under TCG (software emulation) instead');
      signal?.throwIfAborted();
      await (await engine()).apply({ ...config, domainType: 'qemu' }, progress);
    }
    signal?.throwIfAborted();
    await waitReady(spec.envId, serialLog, progress, signal);
    // The disk it descends from (the image's base as the catalog names it, identified as in the
    // snapshot key: no host path in ticket comments) and what it holds.
    let provenance: Pick<ProvisionResult, 'installed' | 'imageRef' | 'snapshot'> = {};
    if (found) {
      const installed = found.hit?.installed ?? (await installedIn(await sshTo(spec.envId, 'direct'), spec));
      signal?.throwIfAborted();
      if (!found.hit) await keepSnapshot(spec, base, found, installed, progress);
      provenance = { installed, imageRef: { tag: vm.disk, digest: found.baseId }, ...(found.hit ? { snapshot: found.key } : {}) };
    }
    const host = o.libvirt.sshHost;
    return {
      engine: engineName,
      ...provenance,
      access: {
        name: names.domain,
        host,
        port: forward.port,
        user: vm.user,
        privateKey: keys.privateKey,
        command: `ssh -p ${forward.port} ${vm.user}@${host}`,
      },
    };
  }

  const provisioner: LibvirtProvisioner = {
    kind: 'vm',
    engine: engineName,

    async ping() {
      // A connection check only: `version` makes libvirt probe qemu's capabilities, seconds on some hosts.
      await virsh.run(['uri'], { timeoutMs: 2000 });
    },

    async create(spec: ProvisionSpec, progress: ProgressSink, signal?: AbortSignal): Promise<ProvisionResult> {
      try {
        return await createVm(spec, progress, signal);
      } catch (err) {
        // Stop waiting; the caller's destroy() tears down what the apply made.
        if (signal?.aborted) throw new CancelledError(`provisioning ${spec.envId} was cancelled: a destroy was requested`);
        throw err;
      }
    },

    async inspect(envId) {
      const info = await inspectDomain(virsh, vmNames(envId).domain);
      if (info) return { running: info.running };
      const volumes = await listVolumes(virsh, pool);
      return volumes.some((v) => envIdOfVolume(v) === envId) ? { running: false } : undefined;
    },

    async destroy(envId) {
      await forwarder.close(envId);
      await (await engine()).destroy(envId, () => undefined);
      await rm(stateDir(envId), { recursive: true, force: true });
    },

    async list() {
      const found: ManagedResource[] = [];
      // Volumes, state and stacks belong to their domain's deployment; without a domain, to the
      // one recorded in the state dir; with neither, to no one (never reaped: the pool may be shared).
      const instanceOf = new Map<string, string | undefined>();
      const recorded = async (envId: string) => {
        if (!instanceOf.has(envId)) instanceOf.set(envId, await readFile(join(stateDir(envId), OWNER_FILE), 'utf8').catch(() => undefined));
        return instanceOf.get(envId);
      };
      const own = async (envId: string) => {
        const instance = await recorded(envId);
        return instance === undefined ? {} : { instance };
      };
      for (const d of await listDomains(virsh)) {
        instanceOf.set(d.metadata.envId, d.metadata.instance);
        found.push({ type: 'domain', id: d.name, envId: d.metadata.envId, ticket: d.metadata.ticket, ...(await own(d.metadata.envId)) });
        // list() runs periodically (reconciler): it also brings SSH access back after a restart.
        if (d.running && d.metadata.sshPort) await ensureForward(d.metadata.envId, d.metadata.sshPort).catch(() => undefined);
      }
      for (const v of await listVolumes(virsh, pool)) {
        const envId = envIdOfVolume(v);
        if (envId) found.push({ type: 'volume', id: v, envId, ...(await own(envId)) });
      }
      for (const envId of await readdir(stateRoot).catch(() => [] as string[])) {
        found.push({ type: 'state', id: join(stateRoot, envId), envId, ...(await own(envId)) });
      }
      for (const r of await (await engine()).list()) found.push({ ...r, ...(await own(r.envId)) });
      return found;
    },

    async remove(r) {
      switch (r.type) {
        case 'domain':
          await forwarder.close(r.envId);
          return destroyDomain(virsh, r.id);
        case 'volume':
          return deleteVolume(virsh, pool, r.id);
        case 'state':
          return rm(stateDir(r.envId), { recursive: true, force: true });
        default:
          return (await engine()).remove(r);
      }
    },

    async exec(envId, command, opts) {
      if (command.length === 0) throw new ValidationError('command must name a program', 'command');
      return sshExec(await sshTo(envId, 'direct'), command, opts);
    },

    openTerminal: async (envId, size) => sshShell(await sshTo(envId, 'direct'), size),

    close: () => forwarder.closeAll(),
  };
  return provisioner;
}

async function buildEngine(name: EngineName, projectDir: string, dataDir: string, direct: { uri: string; pool: string }, passphrase: string | undefined): Promise<VmEngine> {
  if (name === 'direct') return createDirectEngine(direct);
  // Loaded only when used: @pulumi/pulumi is heavy and the direct engine never needs it.
  const { createPulumiEngine } = await import('./createPulumiEngine.js');
  return createPulumiEngine({
    projectDir,
    backendDir: join(dataDir, 'pulumi'),
    ...(passphrase ? { passphrase } : {}),
    teardown: (envId, progress) => teardownVm(direct, envId, progress),
  });
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
