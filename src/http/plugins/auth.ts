import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.js';
import { roleAtLeast, type Principal, type Role } from '../../domain/roles.js';
import type { TokenStore } from '../../store/tokenStore.js';
import type { PrincipalSource } from './principalSource.js';
import { sessionCookie } from './sessionCookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route: the least role, or `public` (health, docs, webhooks with their own signatures). */
    auth?: Role | 'public';
  }
}

export function bearerToken(tokens: TokenStore): PrincipalSource {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError('send Authorization: Bearer <token>');
    const principal = await tokens.lookup(match[1]!);
    if (!principal) throw new UnauthorizedError('unknown, revoked or expired token');
    return principal;
  };
}

/**
 * Every route states the least role it needs (routes without a statement need `requester`); the
 * first source that recognises the caller decides who it is. Which environments a principal may
 * act on is src/auth/policy.ts's business. An address over its failed-authentication budget gets
 * 429 whatever it sends until its window ends; the budget is read beside the sources, so a valid
 * credential waits for no extra round trip.
 */
export const auth = fp(async (app) => {
  const { deps, failedAuth: failures } = app;
  // Bearer first: automation never depends on a cookie that happens to be there.
  const sources: PrincipalSource[] = [bearerToken(deps.tokens), sessionCookie(deps.sessions, deps.tokens, deps.config.publicUrl)];
  const identify = async (request: FastifyRequest): Promise<Principal | undefined> => {
    for (const source of sources) {
      const principal = await source(request);
      if (principal) return principal;
    }
    return undefined;
  };
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = request.routeOptions.config.auth ?? 'requester';
    if (needed === 'public' || !request.routeOptions.url) return;
    const [outcome] = await Promise.all([
      identify(request).then((principal) => ({ principal }), (error: unknown) => ({ error })),
      failures.check(request),
    ]);
    if ('error' in outcome && !(outcome.error instanceof UnauthorizedError)) throw outcome.error;
    const principal = 'principal' in outcome ? outcome.principal : undefined;
    if (!principal) {
      await failures.fail(request);
      throw 'error' in outcome ? outcome.error : new UnauthorizedError('send Authorization: Bearer <token>');
    }
    if (!roleAtLeast(principal.role, needed)) throw new ForbiddenError(`this route needs the ${needed} role`);
    request.principal = principal;
  });
}, { name: 'repro-auth', dependencies: ['repro-deps', 'repro-rate-limit', '@fastify/cookie'] });

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
