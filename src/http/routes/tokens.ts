import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RoleSchema } from '../../domain/roles.js';
import { isReservedName } from '../../auth/isReservedName.js';
import { BOOTSTRAP_ADMIN } from '../../domain/systemActors.js';
import { parseDuration } from '../../domain/parseDuration.js';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { TokenInfoSchema } from '../../store/tokenInfo.js';
import { errorResponses } from '../schemas.js';

const TokenName = Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' });

/** Tokens are an admin's business only. */
export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  app.post('/v1/tokens', {
    config: { auth: 'admin' },
    schema: {
      tags: ['tokens'],
      summary: 'Issue a token (shown once; stored hashed). Its name attributes every action in event streams.',
      body: Type.Object({
        name: TokenName,
        role: RoleSchema,
        ttl: Type.Optional(Type.String({ maxLength: 32, description: 'expiry: 30m, 8h, 30d or ISO 8601; none by default' })),
      }, { additionalProperties: false }),
      response: {
        201: Type.Object({ name: Type.String(), role: Type.String(), token: Type.String(), expiresAt: Type.Optional(Type.String()) }),
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const { name, role, ttl } = request.body;
    if (isReservedName(name)) throw new ValidationError(`"${name}" is the name of a system actor or ticket system; choose another name`, 'name');
    const expiresAt = ttl === undefined ? undefined : new Date(deps.clock.now().getTime() + parseDuration(ttl) * 1000).toISOString();
    const token = await deps.tokens.issue(name, role, expiresAt ? { expiresAt } : {});
    return reply.status(201).send({ name, role, token, ...(expiresAt ? { expiresAt } : {}) });
  });

  app.get('/v1/tokens', {
    config: { auth: 'admin' },
    schema: {
      tags: ['tokens'],
      summary: 'Every token: name, role, when created, last used and when it expires (never the token)',
      response: { 200: Type.Object({ items: Type.Array(TokenInfoSchema) }), ...errorResponses },
    },
  }, async () => ({ items: await deps.tokens.list() }));

  app.delete('/v1/tokens/:name', {
    config: { auth: 'admin' },
    schema: {
      tags: ['tokens'],
      summary: 'Revoke a token: it stops working at once',
      params: Type.Object({ name: TokenName }),
      response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const { name } = request.params;
    // Registered again from the configuration at every start: revoking it here would not last.
    if (name === BOOTSTRAP_ADMIN) throw new ConflictError('bootstrap_token', 'the bootstrap admin token comes from REPRO_ADMIN_TOKEN or <dataDir>/admin-token; change it there');
    if (!(await deps.tokens.revoke(name))) throw new NotFoundError('token', name);
    return reply.status(204).send(null);
  });
};
