import { Type } from '@sinclair/typebox';

/**
 * Who a caller is. Every way in (bearer token today, a console session later) produces the same
 * `{name, role}` principal; routes and the environment policy only ever look at that.
 */
export const ROLES = ['requester', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export interface Principal {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { requester: 1, support: 2, admin: 3 };

/** True when `role` may call a route that needs `needed`. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}
