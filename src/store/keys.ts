/**
 * The Redis keys of records, events, tokens, sessions, images, builds and queues, under one prefix
 * so tests and tenants stay apart. Two other families share the prefix: the ticket side's
 * (tickets/ticketKeys.ts) and the rate limiter's counters (`<prefix>:ratelimit:`, http/plugins/rateLimit.ts).
 */
export function keys(prefix: string) {
  return {
    env: (id: string) => `${prefix}:env:${id}`,
    events: (id: string) => `${prefix}:env:${id}:events`,
    byCreation: `${prefix}:envs`,
    /** Environments in one state (not destroyed) by creation time (ms): counts, the sweep's checks, state listings. */
    byState: (state: string) => `${prefix}:envs:in:${state}`,
    /** The unordered state sets written before byState; reindex removes them. */
    legacyStateSet: (state: string) => `${prefix}:envs:state:${state}`,
    byTicket: (system: string, id: string) => `${prefix}:envs:ticket:${system}:${id}`,
    /** One requester's environments by creation time (destroyed ones until they age out): its listing's index. */
    byRequester: (requester: string) => `${prefix}:envs:requester:${requester}`,
    /** Live environments by expiry time (ms): the sweep reads only the overdue ones. */
    byExpiry: `${prefix}:envs:expiry`,
    /** Environments in a state whose queue job may be lost (requested, provisioning, failed, destroying), by last update (ms). */
    unsettled: `${prefix}:envs:unsettled`,
    /** Live environments per requester and of VMs (sets, so a repeated step cannot count twice); their SCARD is the quota count. */
    liveOfRequester: (requester: string) => `${prefix}:envs:live:requester:${requester}`,
    liveVms: `${prefix}:envs:live:vm`,
    liveVmsOfRequester: (requester: string) => `${prefix}:envs:live:vm:requester:${requester}`,
    /** Destroyed environments by when their record ages out (ms); each member names the index entries to remove then. */
    retired: `${prefix}:envs:retired`,
    /** The version of the indexes above that every record has been added to (store/environmentStore.ts reindex). */
    indexVersion: `${prefix}:envs:index-version`,
    idempotency: (scope: string, key: string) => `${prefix}:idem:${scope}:${key}`,
    /** Terminal sessions of one environment, by start time; each session's metadata and asciicast lines. */
    terminals: (envId: string) => `${prefix}:env:${envId}:terminals`,
    terminal: (sessionId: string) => `${prefix}:terminal:${sessionId}`,
    terminalCast: (sessionId: string) => `${prefix}:terminal:${sessionId}:cast`,
    tokens: `${prefix}:tokens`,
    tokenNames: `${prefix}:tokens:names`,
    /** name → when its token last authenticated a request. */
    tokenLastUsed: `${prefix}:tokens:last-used`,
    /** Image definitions changed through the API: name → JSON {revision, document, updatedAt, updatedBy}. */
    imageDefinitions: `${prefix}:images:definitions`,
    /** Each change of an image definition: JSON {revision, at, by, diff}, oldest first. */
    imageHistory: (name: string) => `${prefix}:image:${name}:history`,
    /** Build ids of an image, newest first. */
    imageBuilds: (name: string) => `${prefix}:image:${name}:builds`,
    /** The build an image serves: JSON of its last successful build. */
    imageCurrent: (name: string) => `${prefix}:image:${name}:current`,
    build: (id: string) => `${prefix}:build:${id}`,
    buildLog: (id: string) => `${prefix}:build:${id}:log`,
    /** This deployment's id, created once: the owner label on every resource it makes. */
    deployment: `${prefix}:deployment`,
    /** Console sessions (by a hash of the cookie) and pending single sign-on logins (by OIDC state). */
    session: (idHash: string) => `${prefix}:session:${idHash}`,
    login: (state: string) => `${prefix}:login:${state}`,
    /** BullMQ's own prefix: queues live beside our records. */
    queues: `${prefix}:q`,
  };
}
export type Keys = ReturnType<typeof keys>;
