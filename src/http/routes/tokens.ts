import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { errorResponses } from '../schemas.js';

export const tokenRoutes = (deps: Deps): FastifyPluginAsyncTypebox => async (app) => {
  app.post('/v1/tokens', {
    config: { auth: 'admin' },
    schema: {
      tags: ['tokens'],
      summary: 'Issue a token (shown once; stored hashed). Its name attributes every action in event streams.',
      body: Type.Object({
        name: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' }),
        role: Type.Union([Type.Literal('requester'), Type.Literal('admin')]),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ name: Type.String(), role: Type.String(), token: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const { name, role } = request.body;
    const token = await deps.tokens.issue(name, role);
    return reply.status(201).send({ name, role, token });
  });
};
