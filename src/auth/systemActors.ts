import { TICKET_SYSTEMS } from '../tickets/settings.js';

/** Names the service itself writes as event actors; a token may never carry one of them. */
export const SYSTEM_ACTORS = {
  worker: 'worker',
  maintenance: 'maintenance',
  notify: 'notify',
  ttl: 'ttl',
  system: 'system',
} as const;

/** The bootstrap admin token's name (REPRO_ADMIN_TOKEN or <dataDir>/admin-token). */
export const BOOTSTRAP_ADMIN = 'admin';

const RESERVED = new Set<string>([...Object.values(SYSTEM_ACTORS), BOOTSTRAP_ADMIN, ...TICKET_SYSTEMS]);

/**
 * Whether an issued token may not take this name: it would read as the service, the bootstrap
 * admin or a ticket system in every audit trail. Compared without case (`Worker` reads as `worker`).
 */
export function isReservedName(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}
