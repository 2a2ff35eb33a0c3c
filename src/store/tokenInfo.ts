import { Type, type Static } from '@sinclair/typebox';
import { RoleSchema } from '../domain/roles.js';

/** What an admin sees of a token: never the token, never its hash. */
export const TokenInfoSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  createdAt: Type.String(),
  lastUsedAt: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
});
export type TokenInfo = Static<typeof TokenInfoSchema>;
