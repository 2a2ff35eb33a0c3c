import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../../domain/errors.js';
import { canActOn, environmentFor, listRequesterFilter } from '../../auth/policy.js';
import { principalOf } from '../plugins/auth.js';
import { EnvironmentEventSchema, EnvironmentStateSchema } from '../../domain/environment.js';
import { AccessWithSecretsSchema, CreateEnvironmentBody, EnvironmentSchema, ErrorSchema, IdParams, errorResponses } from '../schemas.js';
import { streamEvents } from './streamEvents.js';

const ListQuery = Type.Object({
  ticket: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*:.+$', description: 'system:id' })),
  state: Type.Optional(EnvironmentStateSchema),
  requester: Type.Optional(Type.String({ maxLength: 128, description: 'support and admin only; a requester always lists its own' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'page size; a page reads only its own index, so it costs about the page' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the previous page\'s nextCursor' })),
});

const ExecResponse = Type.Object({
  exitCode: Type.Integer(),
  stdout: Type.String(),
  stderr: Type.String(),
  truncated: Type.Boolean(),
  timedOut: Type.Boolean(),
});

/**
 * Every route here needs at least `requester`; which environments the caller may act on is
 * decided by src/auth/policy.ts (another requester's environment answers 404 like a missing one).
 */
export const environmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const { service, store, events } = deps;
  const environment = (request: FastifyRequest, id: string) => environmentFor(store, id, principalOf(request));

  app.post('/v1/environments', {
    schema: {
      tags: ['environments'],
      summary: 'Request an environment for a ticket',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
      body: CreateEnvironmentBody,
      response: { 202: EnvironmentSchema, 200: EnvironmentSchema, ...errorResponses, 429: ErrorSchema },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const from = request.body.from;
    // `from` reads another environment's build and packages: only one the caller may act on,
    // and one it may not answers like a missing one.
    if (from !== undefined) {
      const source = await store.get(from);
      if (!source || !canActOn(principal, source)) throw new ValidationError(`from: environment ${from} does not exist`, 'from');
    }
    const { record, created } = await service.request(request.body, principal.name, request.headers['idempotency-key']);
    return reply.status(created ? 202 : 200).header('location', `/v1/environments/${record.id}`).send(record);
  });

  app.get('/v1/environments', {
    schema: {
      tags: ['environments'],
      summary: 'List environments, newest first',
      querystring: ListQuery,
      response: { 200: Type.Object({ items: Type.Array(EnvironmentSchema), nextCursor: Type.Optional(Type.String({ description: 'absent when nothing follows; with both requester and state a page may be short and still have one, and the page it leads to may be empty' })) }), ...errorResponses },
    },
  }, async (request) => {
    const { ticket, state, limit, cursor } = request.query;
    const requester = listRequesterFilter(principalOf(request), request.query.requester);
    const [system = '', ...rest] = ticket?.split(':') ?? [];
    return store.list({
      limit,
      ...(ticket ? { ticket: { system, id: rest.join(':') } } : {}),
      ...(state ? { state } : {}),
      ...(requester ? { requester } : {}),
      ...(cursor ? { cursor } : {}),
    });
  });

  app.get('/v1/environments/:id', {
    schema: { tags: ['environments'], summary: 'One environment; `access` once ready', params: IdParams, response: { 200: EnvironmentSchema, ...errorResponses } },
  }, async (request) => environment(request, request.params.id));

  app.get('/v1/environments/:id/access', {
    schema: {
      tags: ['environments'],
      summary: 'Access details with their secrets (a VM\'s private key); each read is recorded in the events with the reader\'s name',
      params: IdParams,
      response: { 200: AccessWithSecretsSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    await environment(request, request.params.id);
    return reply.header('cache-control', 'no-store').send(await service.readAccess(request.params.id, principalOf(request).name));
  });

  app.get('/v1/environments/:id/events', {
    schema: {
      tags: ['environments'],
      summary: 'Event history; with Accept: text/event-stream, follows live until destroyed',
      params: IdParams,
      querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: '^\\d+-\\d+$' })) }),
      response: { 200: Type.Object({ items: Type.Array(EnvironmentEventSchema) }), ...errorResponses },
    },
  }, async (request, reply) => {
    const env = await environment(request, request.params.id);
    const lastId = (request.headers['last-event-id'] as string | undefined) ?? request.query.after;
    if (lastId !== undefined && !/^\d+-\d+$/.test(lastId)) throw new ValidationError('Last-Event-ID is not an event id', 'Last-Event-ID');
    if ((request.headers.accept ?? '').includes('text/event-stream')) {
      return streamEvents(deps, env.id, lastId, request, reply);
    }
    return { items: await events.history(env.id, lastId ? { after: lastId } : {}) };
  });

  app.post('/v1/environments/:id/extend', {
    schema: {
      tags: ['environments'],
      summary: 'Move the expiry to now + ttl (bounded by the configured maximum)',
      params: IdParams,
      body: Type.Object({ ttl: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }),
      response: { 200: EnvironmentSchema, ...errorResponses },
    },
  }, async (request) => {
    await environment(request, request.params.id);
    return service.extend(request.params.id, request.body.ttl, principalOf(request).name);
  });

  app.delete('/v1/environments/:id', {
    schema: { tags: ['environments'], summary: 'Start teardown', params: IdParams, response: { 202: EnvironmentSchema, ...errorResponses } },
  }, async (request, reply) => {
    await environment(request, request.params.id);
    const record = await service.requestDestroy(request.params.id, principalOf(request).name, 'deleted through the API');
    return reply.status(202).send(record);
  });

  app.post('/v1/environments/:id/exec', {
    schema: {
      tags: ['environments'],
      summary: 'Run a command (argv, no shell) in a ready environment; output is bounded, with a timeout',
      params: IdParams,
      body: Type.Object({ command: Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 64 }) }, { additionalProperties: false }),
      response: { 200: ExecResponse, ...errorResponses, 503: ErrorSchema },
    },
  }, async (request) => {
    await environment(request, request.params.id);
    return service.exec(request.params.id, request.body.command, principalOf(request).name);
  });
};
