import { environmentFor } from '../auth/policy.js';
import type { Principal } from '../domain/roles.js';
import type { EnvironmentRecord } from '../domain/environment.js';
import type { EnvironmentStore } from '../store/environmentStore.js';

/**
 * Which environment a caller may open a terminal on, or list and attach the transcripts of: the
 * same rule as exec (src/auth/policy.ts), kept in this one place. Another requester's
 * environment answers like a missing one.
 */
export function terminalEnvironment(store: EnvironmentStore, id: string, principal: Principal): Promise<EnvironmentRecord> {
  return environmentFor(store, id, principal);
}
