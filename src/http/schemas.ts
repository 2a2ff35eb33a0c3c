import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  AccessSchema, AccessSecretsSchema, EnvironmentKindSchema, EnvironmentRecordSchema, ResourcesSchema, type TicketRef,
} from '../domain/environment.js';
import { RoleSchema } from '../domain/roles.js';
import { BuildRecordSchema, CurrentBuildSchema } from '../images/buildRecord.js';
import { PackageFamilySchema } from '../images/imageSchema.js';

export const ErrorSchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
);

/**
 * The ticket a request names: a TicketRef within the API's limits. Records also hold tickets
 * that webhooks named (their titles, for one, are not bounded), so these limits are the
 * request's alone.
 */
const TicketRequestSchema = Type.Object(
  {
    system: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'glpi, redmine, jira, gitlab, zammad, mantis, rt, generic…' }),
    id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._#:-]+$' }),
    url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
    title: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
) satisfies TSchema & { static: TicketRef };

export const CreateEnvironmentBody = Type.Object(
  {
    ticket: TicketRequestSchema,
    // Required unless `from` names the environment to recreate.
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(Type.String({ pattern: '^env-[0-9a-f]{1,32}$', description: 'an environment to recreate exactly: same build, same package versions' })),
    kind: Type.Optional(EnvironmentKindSchema),
    // Each name is checked against the image family's rules after the schema.
    packages: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
    ttl: Type.Optional(Type.String({ maxLength: 32, description: '30m, 8h, 2d or ISO 8601 (PT30M)' })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    resources: Type.Optional(Type.Partial(ResourcesSchema)),
  },
  { additionalProperties: false },
);
export type CreateEnvironmentBody = Static<typeof CreateEnvironmentBody>;

/** The access route's answer: the public part plus the secrets. */
export const AccessWithSecretsSchema = Type.Composite([AccessSchema, AccessSecretsSchema]);

/** An environment as the API shows it (`access` never holds a secret). */
export const EnvironmentSchema = Type.Omit(EnvironmentRecordSchema, ['provisionStartedAt']);

/** The caller, for the console: who, which role, and whether single sign-on is on. */
export const MeSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  sso: Type.Boolean(),
});
export type Me = Static<typeof MeSchema>;

/** A catalog image as listed: definition summary, serving build and state. */
export const ImageSummary = Type.Object({
  name: Type.String(),
  description: Type.String(),
  distribution: Type.String(),
  version: Type.String(),
  family: PackageFamilySchema,
  packageManager: Type.String(),
  kinds: Type.Array(EnvironmentKindSchema),
  packages: Type.Array(Type.String()),
  /** Definition revision: 1 is the file; each change through the API adds one. */
  revision: Type.Integer(),
  source: Type.String({ description: 'file, or api when an admin changed it (Redis wins over the file)' }),
  state: Type.String({ description: 'ready, building, failed or not-built' }),
  current: Type.Optional(CurrentBuildSchema),
  lastBuild: Type.Optional(BuildRecordSchema),
});
export type Image = Static<typeof ImageSummary>;
export type Environment = Static<typeof EnvironmentSchema>;
export type AccessWithSecrets = Static<typeof AccessWithSecretsSchema>;

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }) });

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
} as const;
