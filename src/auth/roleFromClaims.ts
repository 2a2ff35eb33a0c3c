import { roleAtLeast, type Principal, type Role } from '../domain/roles.js';
import { isReservedName } from './isReservedName.js';

// The names tokens may have: a person's name then reads like any other actor in the audit trail,
// and never like a ticket author (`<system>:<author>`) whose environments it would own.
const ACTOR_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * The principal a signed-in person acts as: the highest role any of their groups maps to, or
 * undefined when none does (the console then answers 403). The name is the first of
 * `preferred_username`, `email`, `sub` that is a valid actor name and not one the service reserves.
 */
export function principalFromClaims(
  claims: Record<string, unknown>,
  roleClaim: string,
  roleMap: Record<string, Role>,
): Principal | undefined {
  const raw = claims[roleClaim];
  const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
  let role: Role | undefined;
  for (const group of groups) {
    const mapped = Object.hasOwn(roleMap, group) ? roleMap[group] : undefined;
    if (mapped && (!role || !roleAtLeast(role, mapped))) role = mapped;
  }
  const name = [claims['preferred_username'], claims['email'], claims['sub']]
    .find((v): v is string => typeof v === 'string' && ACTOR_NAME.test(v) && !isReservedName(v));
  return role && name ? { name, role } : undefined;
}
