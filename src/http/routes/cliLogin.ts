import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnauthorizedError, ValidationError } from '../../domain/errors.js';
import { SESSION_COOKIE, sessionCookie } from '../plugins/sessionCookie.js';

/** Sessions handed to the command line last as long as the browser's. */
const DEFAULT_SESSION_SECONDS = 8 * 3600;

const CliQuery = Type.Object({
  port: Type.Integer({ minimum: 1024, maximum: 65535, description: 'where the CLI listens on 127.0.0.1' }),
  state: Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$', description: 'the CLI checks it comes back unchanged' }),
});

// The consent form posts text fields; JSON bodies are never coerced, so the port is checked as text here.
const CliForm = Type.Object({
  port: Type.String({ pattern: '^[1-9][0-9]{3,4}$' }),
  state: CliQuery.properties.state,
}, { additionalProperties: false });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Single sign-on for a command-line tool (loopback redirect, as RFC 8252 describes): the CLI
 * listens on 127.0.0.1:port and opens `/auth/cli?port&state` in the browser; once the person is
 * signed in and says yes, the browser is sent to `http://127.0.0.1:port/callback?state&session`
 * with a session of its own that the CLI sends as the `repro_session` cookie (with the
 * `x-repro-csrf: 1` header). The yes is a same-origin form post, so no other site can make a
 * browser hand a session to whatever listens on that port.
 */
export const cliLoginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const session = sessionCookie(deps.sessions, deps.tokens, deps.config.publicUrl);
  const seconds = deps.config.oidc?.sessionTtlSeconds ?? DEFAULT_SESSION_SECONDS;
  // The consent form posts urlencoded; only this plugin reads that format.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get('/auth/cli', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'Sign the CLI in through the browser (loopback redirect)', querystring: CliQuery },
  }, async (request, reply) => {
    const principal = await session(request).catch(() => undefined);
    const here = `/auth/cli?port=${request.query.port}&state=${encodeURIComponent(request.query.state)}`;
    if (!principal) {
      return reply.redirect(deps.config.oidc ? `/auth/login?returnTo=${encodeURIComponent(here)}` : `/login?returnTo=${encodeURIComponent(here)}`);
    }
    const { port, state } = request.query;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>repro: sign the command line in</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#111">
<h1>Sign the repro command line in?</h1>
<p>The <code>repro</code> command waiting on this computer (port ${port}) will act as <strong>${escapeHtml(principal.name)}</strong> (${principal.role}).</p>
<p lang="fr">La commande <code>repro</code> qui attend sur cet ordinateur (port ${port}) agira en tant que <strong>${escapeHtml(principal.name)}</strong> (${principal.role}).</p>
<form method="post" action="/auth/cli"><input type="hidden" name="port" value="${port}"><input type="hidden" name="state" value="${escapeHtml(state)}">
<button type="submit" style="font:inherit;padding:.4rem 1rem">Allow / Autoriser</button> <a href="/">Cancel / Annuler</a></form>
</body></html>`);
  });

  app.post('/auth/cli', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'The consent form: hands a new session to the CLI on the loopback port', body: CliForm, hide: true },
  }, async (request, reply) => {
    // A form post carries the browser's Origin: the session source refuses one from another site.
    const principal = await session(request);
    if (!principal) throw new UnauthorizedError('sign in to the console first');
    const port = Number(request.body.port);
    if (port < 1024 || port > 65535) throw new ValidationError('port must be between 1024 and 65535', 'port');
    const { state } = request.body;
    // Same contents as the browser's session: one opened with a token still ends with the token.
    const cookie = await deps.sessions.duplicate(request.cookies[SESSION_COOKIE]!, seconds);
    if (!cookie) throw new UnauthorizedError('sign in to the console first');
    request.log.info({ name: principal.name }, 'session handed to the command line');
    return reply.redirect(`http://127.0.0.1:${port}/callback?state=${encodeURIComponent(state)}&session=${encodeURIComponent(cookie)}`, 303);
  });
};
