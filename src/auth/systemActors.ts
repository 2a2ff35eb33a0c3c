import { TICKET_SYSTEMS } from '../tickets/settings.js';

/** Names the service itself writes as event actors; a token may never carry one of them. */
export const SYSTEM_ACTORS = {
  worker: 'worker',
  maintenance: 'maintenance',
  notify: 'notify',
  ttl: 'ttl',
} as const;

/** The bootstrap admin token's name (REPRO_ADMIN_TOKEN or <dataDir>/admin-token). */
export const BOOTSTRAP_ADMIN = 'admin';

// `system` is kept free for the service's own use, so nobody can sign as it later.
const RESERVED = new Set<string>([...Object.values(SYSTEM_ACTORS), 'system', BOOTSTRAP_ADMIN, ...TICKET_SYSTEMS]);

/**
 * Whether an issued token may not take this name: it would read as the service, the bootstrap
 * admin or a ticket system in every audit trail. Compared without case (`Worker` reads as `worker`).
 */
export function isReservedName(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
