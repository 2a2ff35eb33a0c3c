/** Names the service itself writes as event actors; a token may never carry one of them. */
export const SYSTEM_ACTORS = {
  worker: 'worker',
  maintenance: 'maintenance',
  notify: 'notify',
  ttl: 'ttl',
} as const;

/** The bootstrap admin token's name (REPRO_ADMIN_TOKEN or <dataDir>/admin-token). */
export const BOOTSTRAP_ADMIN = 'admin';
