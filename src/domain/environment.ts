/**
 * The environment record: what repro knows about one throwaway environment. Pure data, declared
 * once as TypeBox schemas (the API's request and response schemas are made from these) with the
 * types derived from them.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ENVIRONMENT_STATES = ['requested', 'provisioning', 'ready', 'failed', 'destroying', 'destroyed'] as const;
export const EnvironmentStateSchema = Type.Union(ENVIRONMENT_STATES.map((s) => Type.Literal(s)));
export type EnvironmentState = Static<typeof EnvironmentStateSchema>;

export const ENVIRONMENT_KINDS = ['container', 'vm'] as const;
export const EnvironmentKindSchema = Type.Union(ENVIRONMENT_KINDS.map((k) => Type.Literal(k)));
export type EnvironmentKind = Static<typeof EnvironmentKindSchema>;

/**
 * A ticket in a ticket system. Only non-empty: ticket adapters make these from webhook bodies,
 * which the API's request limits (src/http/schemas.ts) never checked.
 */
export const TicketRefSchema = Type.Object({
  system: Type.String({ minLength: 1 }),
  id: Type.String({ minLength: 1 }),
  url: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
});
export type TicketRef = Static<typeof TicketRefSchema>;

/** How to reach a ready environment; which fields are set depends on the kind. */
export const AccessSchema = Type.Object({
  /** Container name or libvirt domain name. */
  name: Type.String(),
  /** Copy-pasteable way in, e.g. `repro shell env-x` or `ssh -p 2201 repro@host`. */
  command: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  port: Type.Optional(Type.Integer()),
  user: Type.Optional(Type.String()),
});
export type Access = Static<typeof AccessSchema>;

/**
 * What lets someone in without asking repro: kept apart from the record (sealed at rest), read
 * only through the audited access route by those allowed to act on the environment.
 */
/** A VM's SSH private key: sealed with the secrets key in Redis, returned only by GET /v1/environments/:id/access. */
export const AccessSecretsSchema = Type.Object({ privateKey: Type.Optional(Type.String()) });
export type AccessSecrets = Static<typeof AccessSecretsSchema>;

/**
 * Resources asked for; containers use cpus/memory (and the configured pids limit), VMs also disk.
 * The bounds are those a request may ask for.
 */
export const ResourcesSchema = Type.Object(
  {
    cpus: Type.Number({ exclusiveMinimum: 0, maximum: 64 }),
    memoryMb: Type.Integer({ minimum: 64 }),
    diskGb: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type Resources = Static<typeof ResourcesSchema>;

export const EnvironmentErrorSchema = Type.Object({ code: Type.String(), message: Type.String() });
export type EnvironmentError = Static<typeof EnvironmentErrorSchema>;

/** What an environment started from, exactly: enough to make the same one again (`from`). */
export const ProvenanceSchema = Type.Object({
  /** Revision of the image definition the build was made from (1 is the image.yaml file). */
  imageRevision: Type.Integer(),
  /** The build's tag, `repository:inputs-hash`. */
  imageTag: Type.String(),
  /** The build's image id (sha256 of its config). */
  imageDigest: Type.String(),
  /** `name → exact version` of the asked packages, from dpkg or rpm. */
  packages: Type.Record(Type.String(), Type.String()),
  snapshot: Type.Optional(Type.String({ description: 'key of the package-set snapshot it started from' })),
});
export type Provenance = Static<typeof ProvenanceSchema>;

// Property order is the order of the API's JSON answers.
export const EnvironmentRecordSchema = Type.Object({
  id: Type.String(),
  state: EnvironmentStateSchema,
  kind: EnvironmentKindSchema,
  image: Type.String(),
  packages: Type.Array(Type.String()),
  resources: ResourcesSchema,
  ticket: TicketRefSchema,
  note: Type.Optional(Type.String()),
  /** Name of the token (or ticket system) that asked for it. */
  requester: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  expiresAt: Type.String(),
  readyAt: Type.Optional(Type.String()),
  destroyedAt: Type.Optional(Type.String()),
  /** Host whose worker holds the resources; destroy jobs go to that host's queue. */
  hostId: Type.Optional(Type.String()),
  /** Engine that applied a VM (`direct` or `pulumi`), or `docker`. */
  engine: Type.Optional(Type.String()),
  /** A destroy was asked while provisioning; it wins when the provision step ends. */
  destroyRequested: Type.Optional(Type.Boolean()),
  access: Type.Optional(AccessSchema),
  error: Type.Optional(EnvironmentErrorSchema),
  /** The exact build to start from, when asked (`from`); otherwise the image's serving build. */
  imageTag: Type.Optional(Type.String()),
  /** The environment this one recreates (`from`). */
  from: Type.Optional(Type.String()),
  provenance: Type.Optional(ProvenanceSchema),
  /** When the provision step last took it; kept in the record only (the API's answers leave it out). */
  provisionStartedAt: Type.Optional(Type.String()),
});
export type EnvironmentRecord = Static<typeof EnvironmentRecordSchema>;

/** An entry of the per-environment event stream: progress lines and audit. */
export const EnvironmentEventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  type: Type.String(),
  actor: Type.String(),
  message: Type.String(),
  state: Type.Optional(EnvironmentStateSchema),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type EnvironmentEvent = Static<typeof EnvironmentEventSchema>;
