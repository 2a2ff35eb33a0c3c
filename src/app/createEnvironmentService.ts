import { randomBytes, createHash } from 'node:crypto';
import type { Config } from '../config/loadConfig.js';
import type { Clock } from '../domain/clock.js';
import type { Access, AccessSecrets, EnvironmentKind, EnvironmentRecord, Resources, TicketRef } from '../domain/environment.js';
import { validatePackages } from '../domain/packages.js';
import { parseBoundedTtl } from '../domain/parseBoundedTtl.js';
import { isLive } from '../domain/stateMachine.js';
import { ConflictError, ReproError, ValidationError } from '../domain/errors.js';
import type { Catalog } from '../images/catalog.js';
import type { ExecResult, Provisioner } from '../provisioners/port.js';
import type { Queues } from '../queue/createQueues.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { SecretBox } from '../secrets/secretBox.js';

export interface CreateEnvironmentInput {
  ticket: TicketRef;
  /** Required unless `from` is given. */
  image?: string;
  /** Recreate this environment exactly: its image build and its installed package versions. */
  from?: string;
  kind?: EnvironmentKind;
  packages?: string[];
  ttl?: string;
  note?: string;
  resources?: Partial<Resources>;
}

export interface EnvironmentService {
  /** Validates everything first: a bad request creates no record and no job. */
  request(input: CreateEnvironmentInput, actor: string, idempotencyKey?: string): Promise<{ record: EnvironmentRecord; created: boolean }>;
  requestDestroy(id: string, actor: string, reason: string): Promise<EnvironmentRecord>;
  extend(id: string, ttl: string, actor: string): Promise<EnvironmentRecord>;
  exec(id: string, command: string[], actor: string): Promise<ExecResult>;
  /** Access details with their secrets, for a ready environment; every read is an audit event naming the reader. */
  readAccess(id: string, reader: string): Promise<Access & AccessSecrets>;
  listByTicket(system: string, id: string): Promise<EnvironmentRecord[]>;
}

export interface EnvironmentServiceDeps {
  config: Pick<Config, 'ttl' | 'limits' | 'vmLimits' | 'hostId' | 'exec' | 'quotas'>;
  clock: Clock;
  catalog: Catalog;
  store: EnvironmentStore;
  events: EventStore;
  queues: Queues;
  /** Provisioners reachable from this process, for exec. */
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
  secrets: SecretBox;
}

const IDEMPOTENCY_TTL_SECONDS = 86400;

function newEnvironmentId(): string {
  // Lower-case, short, valid in container, network, libvirt domain and DNS names.
  return `env-${randomBytes(6).toString('hex')}`;
}

export function createEnvironmentService(deps: EnvironmentServiceDeps): EnvironmentService {
  const { config, clock, catalog, store, events, queues } = deps;

  /**
   * `from`: the source's kind, image, resources and exact build, and its packages pinned to the
   * versions that were installed. Asking for another image, kind or packages at the same time is
   * a contradiction, refused rather than guessed.
   */
  async function recreation(input: CreateEnvironmentInput): Promise<CreateEnvironmentInput & { imageTag?: string }> {
    if (input.from === undefined) return input;
    for (const field of ['image', 'kind', 'packages'] as const) {
      if (input[field] !== undefined) throw new ValidationError(`${field}: leave it out with from, which recreates ${input.from} exactly`, field);
    }
    const source = await store.get(input.from);
    if (!source) throw new ValidationError(`from: environment ${input.from} does not exist`, 'from');
    const p = source.provenance;
    if (!p) throw new ValidationError(`from: environment ${input.from} has no recorded build and package versions (it never became ready, or is a VM)`, 'from');
    const image = catalog.get(source.image);
    if (!image) throw new ValidationError(`from: image ${source.image} of ${input.from} left the catalog`, 'from');
    const pin = image.family === 'rhel' ? '-' : '=';
    return {
      ...input,
      image: source.image,
      kind: source.kind,
      packages: Object.entries(p.packages).map(([name, version]) => `${name}${pin}${version}`),
      resources: input.resources ?? source.resources,
      imageTag: p.imageTag,
    };
  }

  function validate(input: CreateEnvironmentInput & { imageTag?: string }): Omit<EnvironmentRecord, 'id' | 'requester' | 'createdAt' | 'updatedAt' | 'expiresAt' | 'state'> & { ttlSeconds: number } {
    if (input.image === undefined) throw new ValidationError('image: is required (or from, to recreate an environment)', 'image');
    const image = catalog.get(input.image);
    if (!image) {
      throw new ValidationError(`image "${input.image}" is not in the catalog; known images: ${catalog.list().map((i) => i.name).join(', ')}`, 'image');
    }
    const kind = input.kind ?? 'container';
    if (kind === 'vm' && !image.vm) throw new ValidationError(`image "${image.name}" has no VM settings; ask for kind "container"`, 'kind');
    if (kind === 'container' && !image.container) throw new ValidationError(`image "${image.name}" has no container settings; ask for kind "vm"`, 'kind');
    const packages = validatePackages(input.packages ?? [], image.family);
    const ttlSeconds = input.ttl === undefined ? config.ttl.defaultSeconds : parseBoundedTtl(input.ttl, config.ttl.maxSeconds);
    return {
      kind, image: image.name, packages, ticket: input.ticket, ...(input.note ? { note: input.note } : {}), resources: resourcesFor(kind, input.resources, image.vm), ttlSeconds,
      ...(input.imageTag ? { imageTag: input.imageTag } : {}), ...(input.from ? { from: input.from } : {}),
    };
  }

  function resourcesFor(kind: EnvironmentKind, asked: Partial<Resources> = {}, vm?: { cpus: number; memoryMb: number; diskGb: number }): Resources {
    const max = kind === 'vm'
      ? { cpus: config.vmLimits.maxCpus, memoryMb: config.vmLimits.maxMemoryMb, diskGb: config.vmLimits.maxDiskGb }
      : { cpus: config.limits.cpus, memoryMb: config.limits.memoryMb };
    const base = kind === 'vm' && vm ? { cpus: vm.cpus, memoryMb: vm.memoryMb, diskGb: vm.diskGb } : { cpus: config.limits.cpus, memoryMb: config.limits.memoryMb };
    const out: Resources = { ...base, ...asked };
    for (const field of ['cpus', 'memoryMb', 'diskGb'] as const) {
      const value = out[field];
      const limit = max[field as keyof typeof max];
      if (value !== undefined && limit !== undefined && value > limit) {
        throw new ValidationError(`resources.${field} ${value} is above the limit of ${limit} for kind ${kind}`, `resources.${field}`);
      }
    }
    if (kind === 'container') delete out.diskGb;
    return out;
  }

  async function requestDestroy(id: string, actor: string, reason: string): Promise<EnvironmentRecord> {
    // Loop because the state may move between our two atomic attempts (provisioning → ready).
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await store.transition(id, { to: 'destroying', from: ['requested', 'ready', 'failed'], event: { type: 'destroy.requested', actor, message: reason } });
      if (r.ok) {
        const record = await store.require(id);
        await queues.destroy(record, reason, config.hostId);
        return record;
      }
      if (r.current === 'destroying' || r.current === 'destroyed') return store.require(id);
      if (r.current === 'provisioning') {
        const marked = await store.transition(id, {
          from: ['provisioning'],
          patch: { destroyRequested: true },
          event: { type: 'destroy.requested', actor, message: `${reason} (recorded; applies when provisioning ends)` },
        });
        if (marked.ok) return store.require(id);
      }
    }
    throw new ConflictError('busy', `environment ${id} changed state repeatedly; try again`);
  }

  return {
    async request(input, actor, idempotencyKey) {
      await catalog.refresh?.();
      const valid = validate(await recreation(input));
      const { ttlSeconds, ...fields } = valid;
      const now = clock.now();
      const record: EnvironmentRecord = {
        id: newEnvironmentId(),
        state: 'requested',
        requester: actor,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
        ...fields,
      };
      // The key is scoped to the caller; the body hash tells a retry from a different request reusing the key.
      const bodyHash = idempotencyKey ? createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 32) : '';
      const idempotency = idempotencyKey
        ? { key: `${actor}:${idempotencyKey}`, value: `${record.id} ${bodyHash}`, ttlSeconds: IDEMPOTENCY_TTL_SECONDS }
        : undefined;
      const result = await store.create(record, { type: 'requested', actor, message: `${record.kind} ${record.image} requested for ticket ${record.ticket.system}:${record.ticket.id}`, data: { packages: record.packages } }, { quotas: config.quotas, ...(idempotency ? { idempotency } : {}) });
      if (!result.created) {
        const [existingId = '', existingHash] = result.existing.split(' ');
        if (existingHash !== bodyHash) {
          throw new ConflictError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
        }
        return { record: await store.require(existingId), created: false };
      }
      // Both are idempotent by job id, and the maintenance sweep re-enqueues a record left without a job.
      await Promise.all([queues.provision(record), queues.scheduleExpiry(record)]);
      return { record, created: true };
    },

    requestDestroy,

    async extend(id, ttl, actor) {
      const seconds = parseBoundedTtl(ttl, config.ttl.maxSeconds);
      const before = await store.require(id);
      if (!isLive(before.state)) throw new ConflictError('invalid_state', `environment ${id} is ${before.state}`);
      const expiresAt = new Date(clock.now().getTime() + seconds * 1000).toISOString();
      const r = await store.transition(id, {
        from: ['requested', 'provisioning', 'ready', 'failed'],
        patch: { expiresAt },
        event: { type: 'extended', actor, message: `expiry moved to ${expiresAt}`, data: { previous: before.expiresAt, expiresAt } },
      });
      if (!r.ok) throw new ConflictError('invalid_state', `environment ${id} is ${r.current}`);
      const record = await store.require(id);
      await queues.scheduleExpiry(record, before.expiresAt);
      return record;
    },

    async exec(id, command, actor) {
      const record = await store.require(id);
      if (record.state !== 'ready') throw new ConflictError('invalid_state', `environment ${id} is ${record.state}, not ready`);
      const provisioner = deps.provisioners[record.kind];
      if (!provisioner) throw new ReproError('provider_unavailable', `no ${record.kind} provider runs beside this API process`, { status: 503 });
      const result = await provisioner.exec(id, command, config.exec);
      await events.append(id, { type: 'exec', actor, message: `exec ${JSON.stringify(command).slice(0, 500)} → exit ${result.exitCode}` });
      return result;
    },

    async readAccess(id, reader) {
      const record = await store.require(id);
      if (record.state !== 'ready' || !record.access) throw new ConflictError('invalid_state', `environment ${id} is ${record.state}; access exists only while it is ready`);
      const sealed = await store.sealedAccess(id);
      const secrets = sealed ? (JSON.parse(deps.secrets.open(sealed, id)) as AccessSecrets) : {};
      await events.append(id, {
        type: 'access.read',
        actor: reader,
        message: `access details${secrets.privateKey ? ' and private key' : ''} read by ${reader}`,
      });
      return { ...record.access, ...secrets };
    },

    listByTicket: (system, id) => store.byTicket(system, id),
  };
}
