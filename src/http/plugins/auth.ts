import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import { roleAtLeast, type Principal, type Role } from '../../auth/roles.js';
import type { TokenStore } from '../../store/tokenStore.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route: the least role, or `public` (health, docs, webhooks with their own signatures). */
    auth?: Role | 'public';
  }
}

/**
 * One way of recognising a caller. Returns undefined when the request does not use this way
 * (no such header, no such cookie); throws UnauthorizedError when it does but the credential is bad.
 */
export type PrincipalSource = (request: FastifyRequest) => Promise<Principal | undefined>;

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
 * act on is src/auth/policy.ts's business.
 */
export function registerAuth(app: FastifyInstance, sources: PrincipalSource[]): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = request.routeOptions.config.auth ?? 'requester';
    if (needed === 'public' || !request.routeOptions.url) return;
    let principal: Principal | undefined;
    for (const source of sources) {
      principal = await source(request);
      if (principal) break;
    }
    if (!principal) throw new UnauthorizedError('send Authorization: Bearer <token>');
    if (!roleAtLeast(principal.role, needed)) throw new ForbiddenError(`this route needs the ${needed} role`);
    request.principal = principal;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
