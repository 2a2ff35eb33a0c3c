import type { EnvironmentRecord } from '../domain/environment.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import type { Principal } from '../domain/roles.js';

/**
 * The one rule for environments: a requester acts only on the environments it asked for;
 * support and admin act on every environment (ticket-made ones included, whose requester is
 * `<system>:<author>`, a name no token can have).
 */
export function canActOn(principal: Principal, record: Pick<EnvironmentRecord, 'requester'>): boolean {
  return principal.role !== 'requester' || record.requester === principal.name;
}

/**
 * Loads an environment for a caller. One the caller may not act on answers exactly like a
 * missing one, so ids of others' environments cannot be probed.
 */
export async function environmentFor(store: EnvironmentStore, id: string, principal: Principal): Promise<EnvironmentRecord> {
  const record = await store.get(id);
  if (!record || !canActOn(principal, record)) throw new NotFoundError('environment', id);
  return record;
}

/**
 * The `requester` filter a listing must apply: requesters always see only their own; support and
 * admin see everyone's unless they ask for one requester.
 */
export function listRequesterFilter(principal: Principal, asked: string | undefined): string | undefined {
  if (principal.role !== 'requester') return asked;
  if (asked !== undefined && asked !== principal.name) {
    throw new ForbiddenError('a requester lists only its own environments; leave out requester= or give your own name');
  }
  return principal.name;
}
