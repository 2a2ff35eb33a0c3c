import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { TERMINAL_MAX_DIMENSION } from '../../terminal/controlFrame.js';
import { serveTerminal } from '../../terminal/serveTerminal.js';
import { terminalEnvironment } from '../../terminal/terminalEnvironment.js';
import { TerminalSessionSchema } from '../../domain/terminalSessionSchema.js';
import { enqueueComment, notifyRetryFor } from '../../tickets/ticketQueues.js';
import { principalOf } from '../plugins/auth.js';
import { IdParams, errorResponses } from '../schemas.js';

const Dimension = Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_DIMENSION });
const SessionParams = Type.Object({ id: IdParams.properties.id, sid: Type.String({ pattern: '^ts-[a-f0-9]{16}$' }) });

/**
 * Interactive terminals (docs/terminal.md). Every route needs at least `requester` and acts on an
 * environment only when terminalEnvironment allows it, the same rule as exec.
 */
export const terminalRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const { transcripts } = deps;

  /** The session, only through the environment it belongs to. */
  const sessionOf = async (envId: string, sid: string) => {
    const session = await transcripts.get(sid);
    if (!session || session.envId !== envId) throw new NotFoundError('terminal session', sid);
    return session;
  };

  app.get('/v1/environments/:id/terminal', {
    websocket: true,
    schema: {
      tags: ['terminal'],
      summary: 'WebSocket: a login shell on a TTY in a ready environment (binary frames both ways, JSON resize frames); close 1000 shell exited, 4404 not found, 4408 time limit, 4409 not ready, 1011 error',
      params: IdParams,
      querystring: Type.Object({ cols: Type.Optional(Dimension), rows: Type.Optional(Dimension) }),
    },
  }, (socket, request) => {
    const { cols = 80, rows = 24 } = request.query as { cols?: number; rows?: number };
    const { id } = request.params as { id: string };
    void serveTerminal(deps, socket, id, principalOf(request), { cols, rows }, request.log).catch((err: unknown) => {
      request.log.error({ err }, 'terminal session failed');
      socket.close(1011, 'internal error');
    });
  });

  app.get('/v1/environments/:id/terminal/sessions', {
    schema: {
      tags: ['terminal'],
      summary: 'Terminal sessions of an environment, newest first (who, when, how long; not the transcript)',
      params: IdParams,
      response: { 200: Type.Object({ items: Type.Array(TerminalSessionSchema) }), ...errorResponses },
    },
  }, async (request) => {
    await terminalEnvironment(deps.store, request.params.id, principalOf(request));
    return { items: await transcripts.list(request.params.id) };
  });

  app.get('/v1/environments/:id/terminal/sessions/:sid', {
    schema: {
      tags: ['terminal'],
      summary: 'The transcript of one session, asciicast v2 (application/x-asciicast)',
      params: SessionParams,
      produces: ['application/x-asciicast'],
      response: { 200: Type.String(), ...errorResponses },
    },
  }, async (request, reply) => {
    const { id, sid } = request.params;
    await terminalEnvironment(deps.store, id, principalOf(request));
    await sessionOf(id, sid);
    const cast = await transcripts.cast(sid);
    if (cast === undefined) throw new NotFoundError('terminal session', sid);
    return reply
      .type('application/x-asciicast')
      .header('content-disposition', `attachment; filename="${id}-${sid}.cast"`)
      .header('cache-control', 'no-store')
      .send(cast);
  });

  app.post('/v1/environments/:id/terminal/sessions/:sid/attach', {
    schema: {
      tags: ['terminal'],
      summary: 'Post the session\'s transcript on the environment\'s ticket as an internal comment (through the notify queue, with retries)',
      params: SessionParams,
      response: { 202: Type.Object({ sessionId: Type.String(), ticket: Type.String(), queued: Type.Boolean() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const { id, sid } = request.params;
    const principal = principalOf(request);
    const env = await terminalEnvironment(deps.store, id, principal);
    const session = await sessionOf(id, sid);
    if (!session.endedAt) throw new ConflictError('session_open', `terminal session ${sid} is still open; attach it once it has ended`);
    const { system } = env.ticket;
    if (!deps.ticketing.adapters.has(system as never)) {
      throw new ConflictError('ticket_system_not_configured', `ticket system ${system} is not configured on this service: nowhere to post the transcript`);
    }
    await enqueueComment(deps.queues, { system, ticket: env.ticket, kind: 'transcript', envId: id, sessionId: sid }, `${sid}-transcript`, notifyRetryFor(deps.ticketing.settings, system as never));
    await deps.events.append(id, {
      type: 'terminal.attached', actor: principal.name,
      message: `transcript of terminal session ${sid} queued for ${system}:${env.ticket.id}`, data: { sessionId: sid },
    });
    return reply.status(202).send({ sessionId: sid, ticket: `${system}:${env.ticket.id}`, queued: true });
  });
};
