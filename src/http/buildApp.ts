import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../app/buildDeps.js';
import { validatorCompiler } from './plugins/validatorCompiler.js';
import { bearerToken, registerAuth } from './plugins/auth.js';
import { sessionCookie } from './plugins/sessionCookie.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerRateLimit } from './plugins/rateLimit.js';
import { consoleAssets } from './plugins/consoleAssets.js';
import { queueBoard } from './plugins/queueBoard.js';
import { authRoutes } from './routes/auth.js';
import { cliLoginRoutes } from './routes/cliLogin.js';
import { environmentRoutes } from './routes/environments.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';
import { terminalRoutes } from './routes/terminal.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';

/** The HTTP API, without listening: tests use `app.inject()`, entrypoints/run.ts calls `listen`. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: deps.config.trustProxy.length > 0 ? deps.config.trustProxy : false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Many clients send Content-Type: application/json on every call, DELETE included: an empty
  // body means no body. Anything else goes through Fastify's own (prototype-poisoning safe) parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body, done);
  });

  registerErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'repro', version: '1', description: 'Throwaway reproduction environments attached to support tickets' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // The docs routes are registered by the plugin; mark them public.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  const failedAuth = await registerRateLimit(app, deps);
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  // Before the auth hook: the plugin's own hooks must see every upgrade, also one the auth hook
  // refuses, so that the refused upgrade's socket is closed once the 401 is sent.
  // Terminal input frames are keystrokes and pastes: 64 KiB is plenty and bounds memory per frame.
  await app.register(websocket, { options: { maxPayload: 65536 } });
  await app.register(cookie);
  // Bearer first: automation never depends on a cookie that happens to be there.
  registerAuth(app, [bearerToken(deps.tokens), sessionCookie(deps.sessions, deps.tokens, deps.config.publicUrl)], failedAuth);

  await app.register(healthRoutes(deps));
  await app.register(environmentRoutes(deps));
  await app.register(imageRoutes(deps));
  await app.register(terminalRoutes(deps));
  await app.register(tokenRoutes(deps));
  await app.register(webhookRoutes(deps.ticketing));
  await app.register(authRoutes(deps, failedAuth));
  await app.register(cliLoginRoutes(deps));
  await app.register(queueBoard(deps));
  await app.register(consoleAssets(deps.config.consoleDir));
  return app;
}
