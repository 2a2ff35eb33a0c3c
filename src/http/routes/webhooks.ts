import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '../../domain/errors.js';
import { TICKET_SYSTEMS, type TicketSystem } from '../../tickets/settings.js';

// Ticket payloads carry whole descriptions and every custom field (Jira, GitLab): more than the
// API's own bodyLimitBytes, but still bounded.
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

const Params = Type.Object({ system: Type.String({ maxLength: 40 }) });
const Outcome = Type.Object({
  type: Type.String(), ticket: Type.String(), action: Type.String(),
  envIds: Type.Optional(Type.Array(Type.String())), detail: Type.Optional(Type.String()),
});

/**
 * `POST /v1/webhooks/:system`: authenticated by the system's own signature over the raw bytes,
 * so the body is kept as received (any Content-Type, or none: GLPI sends none). Unknown or
 * unconfigured system → 404, bad signature or a signed time outside webhooks.maxSkew → 401,
 * malformed body → 400; none of them changes anything. `GET` answers GLPI's `crc_token`
 * challenge (400 for a token GLPI would not send). Both are public and rate-limited per address.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ticketing } = app.deps;
  // Scoped to this plugin: the rest of the API keeps its JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const adapterOf = (system: string) => {
    const adapter = ticketing.adapters.get(system as TicketSystem);
    if (adapter) return adapter;
    // A system repro knows but this service has no settings for is not the same as a typo.
    const known = (TICKET_SYSTEMS as string[]).includes(system);
    throw new NotFoundError('ticket system', system, known ? `ticket system ${system} is not configured on this service (tickets.${system})` : undefined);
  };

  app.post('/v1/webhooks/:system', {
    config: { auth: 'public' },
    bodyLimit: WEBHOOK_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'A ticket system delivery (GLPI, Redmine, Jira, GitLab, Zammad, MantisBT, RT or the generic format)',
      params: Params,
      response: { 202: Type.Object({ outcomes: Type.Array(Outcome) }) },
    },
  }, async (request, reply) => {
    const adapter = adapterOf(request.params.system);
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const query = request.query as Record<string, string | undefined>;
    adapter.verify({ headers: request.headers, rawBody, query });
    const events = adapter.parse(rawBody, request.headers);
    const outcomes = await ticketing.handler.handle(adapter.system as TicketSystem, events);
    request.log.info({ system: adapter.system, outcomes }, 'ticket delivery');
    return reply.status(202).send({ outcomes });
  });

  app.get('/v1/webhooks/:system', {
    config: { auth: 'public' },
    schema: { tags: ['webhooks'], summary: 'Subscription challenge (GLPI crc_token)', params: Params },
  }, async (request, reply) => {
    const adapter = adapterOf(request.params.system);
    const answer = adapter.challenge?.(request.query as Record<string, string | undefined>);
    if (answer === undefined) throw new NotFoundError('challenge for', adapter.system);
    return reply.type('text/plain').send(answer);
  });
};
