import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import type { Principal, Role, TokenStore } from '../../store/tokenStore.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route: a role, or `public` (health, docs, webhooks with their own signatures). */
    auth?: Role | 'public';
  }
}

const RANK: Record<Role, number> = { requester: 1, admin: 2 };

/** Bearer tokens; each route states the least role it needs, and routes without a statement need `requester`. */
export function registerAuth(app: FastifyInstance, tokens: TokenStore): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = request.routeOptions.config.auth ?? 'requester';
    if (needed === 'public' || !request.routeOptions.url) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError('send Authorization: Bearer <token>');
    const principal = await tokens.lookup(match[1]!);
    if (!principal) throw new UnauthorizedError('unknown token');
    if (RANK[principal.role] < RANK[needed]) throw new ForbiddenError(`this route needs the ${needed} role`);
    request.principal = principal;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
