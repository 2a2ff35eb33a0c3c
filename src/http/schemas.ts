import { Type, type Static } from '@sinclair/typebox';
import { RoleSchema } from '../domain/roles.js';
import { PACKAGE_FAMILIES } from '../domain/packages.js';

export const KindSchema = Type.Union([Type.Literal('container'), Type.Literal('vm')]);
export const StateSchema = Type.Union([
  Type.Literal('requested'), Type.Literal('provisioning'), Type.Literal('ready'),
  Type.Literal('failed'), Type.Literal('destroying'), Type.Literal('destroyed'),
]);

export const ErrorSchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
);

export const TicketSchema = Type.Object(
  {
    system: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'glpi, redmine, jira, gitlab, zammad, mantis, rt, generic…' }),
    id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._#:-]+$' }),
    url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
    title: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const ResourcesSchema = Type.Object(
  {
    cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 64 })),
    memoryMb: Type.Optional(Type.Integer({ minimum: 64 })),
    diskGb: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const CreateEnvironmentBody = Type.Object(
  {
    ticket: TicketSchema,
    // Required unless `from` names the environment to recreate.
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.String({ pattern: '^env-[0-9a-f]{1,32}$', description: 'an environment to recreate exactly: same build, same package versions' })),
    kind: Type.Optional(KindSchema),
    // Each name is checked against the image family's rules after the schema.
    packages: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
    ttl: Type.Optional(Type.String({ maxLength: 32, description: '30m, 8h, 2d or ISO 8601 (PT30M)' })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    resources: Type.Optional(ResourcesSchema),
  },
  { additionalProperties: false },
);
export type CreateEnvironmentBody = Static<typeof CreateEnvironmentBody>;

/** How to reach an environment, as listings and GET show it: never a secret. */
const PublicAccessSchema = Type.Object({
  name: Type.String(),
  command: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
  port: Type.Optional(Type.Integer()),
  user: Type.Optional(Type.String()),
});

/** The access route's answer: the public part plus the secrets. */
export const AccessSchema = Type.Composite([PublicAccessSchema, Type.Object({ privateKey: Type.Optional(Type.String()) })]);

export const EnvironmentSchema = Type.Object(
  {
    id: Type.String(),
    state: StateSchema,
    kind: KindSchema,
    image: Type.String(),
    packages: Type.Array(Type.String()),
    resources: Type.Object({ cpus: Type.Number(), memoryMb: Type.Integer(), diskGb: Type.Optional(Type.Integer()) }),
    ticket: Type.Object({ system: Type.String(), id: Type.String(), url: Type.Optional(Type.String()), title: Type.Optional(Type.String()) }),
    note: Type.Optional(Type.String()),
    requester: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    expiresAt: Type.String(),
    readyAt: Type.Optional(Type.String()),
    destroyedAt: Type.Optional(Type.String()),
    hostId: Type.Optional(Type.String()),
    engine: Type.Optional(Type.String()),
    destroyRequested: Type.Optional(Type.Boolean()),
    access: Type.Optional(PublicAccessSchema),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    imageTag: Type.Optional(Type.String()),
    from: Type.Optional(Type.String()),
    provenance: Type.Optional(Type.Object({
      imageRevision: Type.Integer(),
      imageTag: Type.String(),
      imageDigest: Type.String(),
      packages: Type.Record(Type.String(), Type.String()),
      snapshot: Type.Optional(Type.String({ description: 'key of the package-set snapshot it started from' })),
    })),
  },
);

export const EventSchema = Type.Object(
  {
    id: Type.String(),
    at: Type.String(),
    type: Type.String(),
    actor: Type.String(),
    message: Type.String(),
    state: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
);

/** The caller, for the console: who, which role, and whether single sign-on is on. */
export const MeSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  sso: Type.Boolean(),
});
export type Me = Static<typeof MeSchema>;

/** One image build: who asked, its state, what it produced. */
export const BuildSchema = Type.Object({
  id: Type.String(), image: Type.String(), revision: Type.Integer(), state: Type.String(), requestedBy: Type.String(), requestedAt: Type.String(),
  startedAt: Type.Optional(Type.String()), finishedAt: Type.Optional(Type.String()), hostId: Type.Optional(Type.String()),
  tag: Type.Optional(Type.String()), digest: Type.Optional(Type.String()), size: Type.Optional(Type.Integer()),
  inputs: Type.Optional(Type.String()), cached: Type.Optional(Type.Boolean()), error: Type.Optional(Type.String()),
});

/** A catalog image as listed: definition summary, serving build and state. */
export const ImageSummary = Type.Object({
  name: Type.String(),
  description: Type.String(),
  distribution: Type.String(),
  version: Type.String(),
  family: Type.Union(PACKAGE_FAMILIES.map((f) => Type.Literal(f))),
  packageManager: Type.String(),
  kinds: Type.Array(KindSchema),
  packages: Type.Array(Type.String()),
  /** Definition revision: 1 is the file; each change through the API adds one. */
  revision: Type.Integer(),
  source: Type.String({ description: 'file, or api when an admin changed it (Redis wins over the file)' }),
  state: Type.String({ description: 'ready, building, failed or not-built' }),
  current: Type.Optional(Type.Object({
    buildId: Type.String(), revision: Type.Integer(), tag: Type.String(), digest: Type.String(), size: Type.Integer(), builtAt: Type.String(),
  })),
  lastBuild: Type.Optional(BuildSchema),
});
export type Image = Static<typeof ImageSummary>;
export type Build = Static<typeof BuildSchema>;
export type Environment = Static<typeof EnvironmentSchema>;
export type Access = Static<typeof AccessSchema>;
export type EnvironmentEventView = Static<typeof EventSchema>;

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
} as const;
