import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Paths the service answers itself; everything else that a browser asks for is a console page. */
const SERVICE_PREFIXES = ['/v1/', '/auth/', '/admin/queues', '/docs', '/healthz', '/readyz', '/metrics'];

/**
 * The web console: built assets under `/` (hashed files cached for good), and `index.html` for
 * the console's own routes (`/environments/:id`…) so a reload or a shared link works.
 */
export const consoleAssets: FastifyPluginAsync = async (app) => {
  const dir = app.deps.config.consoleDir;
  // The page and its assets hold no data: the API calls they make are authorised one by one.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), auth: 'public' };
  });
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'the web console is not built (npm run build:web); serving a notice instead');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build:web` (scripts/setup does). The API is under /v1, its documentation at /docs.\n'));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    setHeaders(reply, path) {
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    // A missing file (anything with an extension) is a 404, not the console page.
    if (SERVICE_PREFIXES.some((p) => path.startsWith(p)) || /\.[A-Za-z0-9]+$/.test(path)) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
};
