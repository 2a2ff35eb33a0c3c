import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../app/buildDeps.js';
import { validatorCompiler } from './plugins/validatorCompiler.js';
import { auth } from './plugins/auth.js';
import { depsDecorator } from './plugins/depsDecorator.js';
import { errorHandling } from './plugins/errors.js';
import { rateLimit } from './plugins/rateLimit.js';
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

/**
 * The HTTP API, without listening: tests use `app.inject()`, entrypoints/run.ts calls `listen`. Plugins come
 * in layers: external ones (Fastify's, configured here) and the app's own decorate and hook the
 * root; the routes, each in its own scope, come last and reach everything through `app.deps`.
 */
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

  // External plugins. None opens a scope of its own, so the app's error handler still covers every route.
  await app.register(depsDecorator, { deps });
  await app.register(swagger, {
    openapi: {
      info: { title: 'repro', version: '1', description: 'Throwaway reproduction environments attached to support tickets' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // The docs routes are registered by swagger-ui; mark them public (before the rate limit reads that mark).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  await app.register(rateLimit);
  // Before the auth hook: the plugin's own hooks must see every upgrade, also one the auth hook
  // refuses, so that the refused upgrade's socket is closed once the 401 is sent.
  // Terminal input frames are keystrokes and pastes: 64 KiB is plenty and bounds memory per frame.
  await app.register(websocket, { options: { maxPayload: 65536 } });
  await app.register(cookie);

  // The app's own plugins: the error shape and who may call what.
  await app.register(errorHandling);
  await app.register(auth);

  // Routes.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  await app.register(healthRoutes);
  await app.register(environmentRoutes);
  await app.register(imageRoutes);
  await app.register(terminalRoutes);
  await app.register(tokenRoutes);
  await app.register(webhookRoutes);
  await app.register(authRoutes);
  await app.register(cliLoginRoutes);
  await app.register(queueBoard);
  await app.register(consoleAssets);
  return app;
}
