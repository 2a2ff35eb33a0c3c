import type { EnvironmentKind } from '../domain/environment.js';

/** Queue names. Provision queues are per kind (any worker serving that kind may take the job);
 *  destroy and maintenance queues are per host, because only that host's worker can reach the resources. */
export const queueNames = {
  provision: (kind: EnvironmentKind) => `provision-${kind}`,
  destroy: (hostId: string) => `destroy-${hostId}`,
  maintenance: (hostId: string) => `maintenance-${hostId}`,
  expire: 'expire',
  notify: 'notify',
  /** Delayed teardowns after a ticket is resolved or closed; cancelled by a reopen. */
  ticketTeardown: 'ticket-teardown',
  /** Image builds: any worker beside a Docker engine takes them, one at a time. */
  imageBuild: 'image-build',
} as const;

/** Job ids derive from the environment id so the same step is never queued twice. */
export const jobIds = {
  provision: (envId: string) => `provision-${envId}`,
  destroy: (envId: string) => `destroy-${envId}`,
  expire: (envId: string, expiresAtMs: number) => `expire-${envId}-${expiresAtMs}`,
} as const;
