import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const ProvisionJob = Type.Object({ envId: Type.String({ minLength: 1 }) });
export type ProvisionJob = Static<typeof ProvisionJob>;

export const DestroyJob = Type.Object({ envId: Type.String({ minLength: 1 }), reason: Type.String() });
export type DestroyJob = Static<typeof DestroyJob>;

export const ExpireJob = Type.Object({ envId: Type.String({ minLength: 1 }), expiresAt: Type.String() });
export type ExpireJob = Static<typeof ExpireJob>;

export const BuildJob = Type.Object({ buildId: Type.String({ pattern: '^build-[0-9a-f]+$' }) });
export type BuildJob = Static<typeof BuildJob>;

/** Job data crosses process boundaries; check it before trusting it. */
export function parsePayload<T extends Parameters<typeof Value.Check>[0]>(schema: T, data: unknown): Static<T> {
  if (!Value.Check(schema, data)) throw new Error(`malformed job payload: ${JSON.stringify(data)}`);
  return data as Static<T>;
}
