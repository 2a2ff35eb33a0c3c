import { BOOTSTRAP_ADMIN, SYSTEM_ACTORS } from '../domain/systemActors.js';
import { TICKET_SYSTEMS } from '../tickets/settings.js';

// `system` is kept free for the service's own use, so nobody can sign as it later.
const RESERVED = new Set<string>([...Object.values(SYSTEM_ACTORS), 'system', BOOTSTRAP_ADMIN, ...TICKET_SYSTEMS]);

/**
 * Whether an issued token may not take this name: it would read as the service, the bootstrap
 * admin or a ticket system in every audit trail. Compared without case (`Worker` reads as `worker`).
 */
export function isReservedName(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
