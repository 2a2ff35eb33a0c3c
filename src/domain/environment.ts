/** The environment record: what repro knows about one throwaway environment. Pure data. */
export const ENVIRONMENT_STATES = ['requested', 'provisioning', 'ready', 'failed', 'destroying', 'destroyed'] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

export const ENVIRONMENT_KINDS = ['container', 'vm'] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

export interface TicketRef {
  system: string;
  id: string;
  url?: string;
  title?: string;
}

/** How to reach a ready environment; which fields are set depends on the kind. */
export interface Access {
  /** Container name or libvirt domain name. */
  name: string;
  /** Copy-pasteable way in, e.g. `repro shell env-x` or `ssh -p 2201 repro@host`. */
  command?: string;
  host?: string;
  port?: number;
  user?: string;
}

/**
 * What lets someone in without asking repro: kept apart from the record (sealed at rest), read
 * only through the audited access route by those allowed to act on the environment.
 */
export interface AccessSecrets {
  /** A VM's SSH private key: sealed with the secrets key in Redis, returned only by GET /v1/environments/:id/access. */
  privateKey?: string;
}

/** Resources asked for; containers use cpus/memory (and the configured pids limit), VMs also disk. */
export interface Resources {
  cpus: number;
  memoryMb: number;
  diskGb?: number;
}

export interface EnvironmentError {
  code: string;
  message: string;
}

/** What an environment started from, exactly: enough to make the same one again (`from`). */
export interface Provenance {
  /** Revision of the image definition the build was made from (1 is the image.yaml file). */
  imageRevision: number;
  /** The build's tag, `repository:inputs-hash`. */
  imageTag: string;
  /** The build's image id (sha256 of its config). */
  imageDigest: string;
  /** `name → exact version` of the asked packages, from dpkg or rpm. */
  packages: Record<string, string>;
  /** Key of the package-set snapshot it started from, when its packages were not installed afresh. */
  snapshot?: string;
}

export interface EnvironmentRecord {
  id: string;
  state: EnvironmentState;
  kind: EnvironmentKind;
  image: string;
  /** The exact build to start from, when asked (`from`); otherwise the image's serving build. */
  imageTag?: string;
  packages: string[];
  resources: Resources;
  /** The environment this one recreates (`from`). */
  from?: string;
  provenance?: Provenance;
  ticket: TicketRef;
  note?: string;
  /** Name of the token (or ticket system) that asked for it. */
  requester: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** Host whose worker holds the resources; destroy jobs go to that host's queue. */
  hostId?: string;
  /** Engine that applied a VM (`direct` or `pulumi`), or `docker`. */
  engine?: string;
  access?: Access;
  error?: EnvironmentError;
  /** A destroy was asked while provisioning; it wins when the provision step ends. */
  destroyRequested?: boolean;
  provisionStartedAt?: string;
  readyAt?: string;
  destroyedAt?: string;
}

/** An entry of the per-environment event stream: progress lines and audit. */
export interface EnvironmentEvent {
  id: string;
  at: string;
  type: string;
  actor: string;
  message: string;
  state?: EnvironmentState;
  data?: Record<string, unknown>;
}
