import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createOidcClient } from '../../auth/oidcClient.js';
import { principalFromClaims } from '../../auth/roleFromClaims.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../domain/errors.js';
import type { Session } from '../../store/sessionStore.js';
import { principalOf } from '../plugins/auth.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../plugins/sessionCookie.js';
import { MeSchema, errorResponses } from '../schemas.js';

/** Sessions made from an API token (consoles without single sign-on) last this long. */
const TOKEN_SESSION_SECONDS = 8 * 3600;

/** Only paths of this site: never `//host` or a scheme, so the callback cannot become an open redirect. */
function safeReturnTo(value: string | undefined): string {
  return value && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

/**
 * Sign-in for people: OpenID Connect (authorization code + PKCE) or an API token pasted once,
 * both ending in a session cookie; `GET /v1/me` says who the caller is.
 */
export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps, failedAuth: failures } = app;
  const { config, sessions, tokens } = deps;
  const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const oidc = config.oidc ? createOidcClient(config.oidc, `${base}/auth/callback`, sessions) : undefined;
  const sessionSeconds = config.oidc?.sessionTtlSeconds ?? TOKEN_SESSION_SECONDS;

  const startSession = async (reply: FastifyReply, session: Session) => {
    const cookie = await sessions.create(session, sessionSeconds);
    void reply.setCookie(SESSION_COOKIE, cookie, {
      httpOnly: true, sameSite: 'lax', path: '/', maxAge: sessionSeconds, secure: base.startsWith('https:'),
    });
  };
  // Login and logout change state without a session to check: they need the console's header.
  const requireCsrfHeader = (request: FastifyRequest) => {
    if (request.headers[CSRF_HEADER] !== '1') throw new ForbiddenError(`send the ${CSRF_HEADER}: 1 header`);
  };

  app.get('/auth/info', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'How people sign in here', response: { 200: Type.Object({ sso: Type.Boolean() }) } },
  }, async () => ({ sso: oidc !== undefined }));

  app.get('/auth/login', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'Start single sign-on; comes back to returnTo', querystring: Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2048 })) }) },
  }, async (request, reply) => {
    if (!oidc) throw new NotFoundError('single sign-on', 'configuration (set oidc.*)');
    return reply.redirect((await oidc.startLogin(safeReturnTo(request.query.returnTo))).href);
  });

  app.get('/auth/callback', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'Where the identity provider sends people back', hide: true },
  }, async (request, reply) => {
    if (!oidc) throw new NotFoundError('single sign-on', 'configuration (set oidc.*)');
    let result: Awaited<ReturnType<typeof oidc.finishLogin>>;
    try {
      result = await oidc.finishLogin(new URL(request.url, base));
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'single sign-on callback refused');
      return reply.redirect(`/login?error=sso_failed`);
    }
    const principal = principalFromClaims(result.claims, config.oidc!.roleClaim, config.oidc!.roleMap);
    if (!principal) {
      request.log.info({ sub: result.claims['sub'] }, 'signed in without a group that maps to a role');
      return reply.status(403).type('text/html; charset=utf-8').send(noRolePage);
    }
    await startSession(reply, principal);
    return reply.redirect(result.returnTo);
  });

  app.post('/auth/token', {
    config: { auth: 'public' },
    schema: {
      tags: ['auth'],
      summary: 'Sign in to the console with an API token (a session cookie instead of the token in the page)',
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: { 200: MeSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    requireCsrfHeader(request);
    // Guessing tokens here costs the same budget as guessing them in an Authorization header.
    const [principal] = await Promise.all([tokens.lookup(request.body.token), failures.check(request)]);
    if (!principal) {
      await failures.fail(request);
      throw new UnauthorizedError('unknown, revoked or expired token');
    }
    await startSession(reply, { ...principal, tokenFingerprint: tokens.fingerprint(request.body.token) });
    return { ...principal, sso: oidc !== undefined };
  });

  app.post('/auth/logout', {
    config: { auth: 'public' },
    schema: { tags: ['auth'], summary: 'End the console session', response: { 200: Type.Object({ redirect: Type.Optional(Type.String()) }), ...errorResponses } },
  }, async (request, reply) => {
    requireCsrfHeader(request);
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) await sessions.destroy(cookie);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    // The provider's session ends too when it offers an end-session endpoint.
    const url = await oidc?.logoutUrl(`${base}/login`).catch(() => undefined);
    return url ? { redirect: url.href } : {};
  });

  app.get('/v1/me', {
    schema: { tags: ['auth'], summary: 'Who is calling, with which role', response: { 200: MeSchema, ...errorResponses } },
  }, async (request) => ({ ...principalOf(request), sso: oidc !== undefined }));
};

// Served outside the console bundle: the person has no session to load it with.
const noRolePage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>repro: no access</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#111">
<h1>403: no access to repro</h1>
<p>You signed in, but none of your groups gives a role in repro. Ask an administrator to add you to the right group.</p>
<p lang="fr">Vous êtes connecté·e, mais aucun de vos groupes ne donne de rôle dans repro. Demandez à un administrateur de vous ajouter au bon groupe.</p>
<p><a href="/login">Sign in as someone else / Se connecter avec un autre compte</a></p>
</body></html>`;
