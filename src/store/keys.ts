/** Every Redis key repro writes, under one prefix so tests and tenants stay apart. */
export function keys(prefix: string) {
  return {
    env: (id: string) => `${prefix}:env:${id}`,
    events: (id: string) => `${prefix}:env:${id}:events`,
    byCreation: `${prefix}:envs`,
    byState: (state: string) => `${prefix}:envs:state:${state}`,
    byTicket: (system: string, id: string) => `${prefix}:envs:ticket:${system}:${id}`,
    idempotency: (scope: string, key: string) => `${prefix}:idem:${scope}:${key}`,
    tokens: `${prefix}:tokens`,
    tokenNames: `${prefix}:tokens:names`,
    /** name → when its token last authenticated a request. */
    tokenLastUsed: `${prefix}:tokens:last-used`,
    /** BullMQ's own prefix: queues live beside our records. */
    queues: `${prefix}:q`,
  };
}
export type Keys = ReturnType<typeof keys>;
