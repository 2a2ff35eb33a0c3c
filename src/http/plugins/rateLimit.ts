import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../../domain/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The failed-authentication budget, for the auth hook and the token sign-in route. */
    failedAuth: FailedAuthLimiter;
  }
}

/** Failed bearer-token authentications per client address. */
export interface FailedAuthLimiter {
  /** Throws RateLimitedError while the address is over its budget; reads, counts nothing. */
  check(request: FastifyRequest): Promise<void>;
  /** Counts one failure; throws RateLimitedError when it goes over the budget. */
  fail(request: FastifyRequest): Promise<void>;
}

/**
 * `@fastify/rate-limit` with its Redis store, so every API process counts against the same
 * budget (keys under `<redisPrefix>:ratelimit:`). Each unauthenticated route (webhooks, health,
 * metrics, docs) allows `rateLimit.publicMax` requests per address and window; authenticated
 * routes are not limited, but failed authentications are (see FailedAuthLimiter, decorated as
 * `app.failedAuth`). When Redis cannot answer, requests pass rather than fail. Register after
 * every hook that marks routes public and before the routes are added.
 */
export const rateLimit = fp(async (app) => {
  const { deps } = app;
  const limits = deps.config.rateLimit;
  app.addHook('onRoute', (route) => {
    if (route.config?.auth === 'public') {
      route.config = { ...route.config, rateLimit: { max: limits.publicMax, timeWindow: limits.publicWindowMs } };
    }
  });
  await app.register(fastifyRateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: `${deps.config.redisPrefix}:ratelimit:`,
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(`too many requests from this address; retry in ${context.after}`, Math.ceil(context.ttl / 1000)),
  });

  // Keyed like the plugin's own limits: an IPv6 address by its /64, which one client usually holds whole.
  // (The plugin files limiters made this way under `<nameSpace>undefinedundefined-`, having no route to name.)
  const failures = app.createRateLimit({
    max: limits.failedAuthMax,
    timeWindow: limits.failedAuthWindowMs,
    keyGenerator: (request) => `failed-auth:${normalizeIP(request.ip)}`,
  });
  const refuse = (ttlInSeconds: number) =>
    new RateLimitedError(`too many failed authentications from this address; retry in ${ttlInSeconds} s`, ttlInSeconds);
  app.decorate('failedAuth', {
    async check(request) {
      const state = await failures(request, { increment: false });
      if (!state.isAllowed && state.isExceeded) throw refuse(state.ttlInSeconds);
    },
    async fail(request) {
      const state = await failures(request);
      if (!state.isAllowed && state.isExceeded) throw refuse(state.ttlInSeconds);
    },
  } satisfies FailedAuthLimiter);
}, { name: 'repro-rate-limit', dependencies: ['repro-deps'] });
