import fp from 'fastify-plugin';
import type { Deps } from '../../app/buildDeps.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Redis, the stores, queues and providers: plugins and routes read them here. */
    deps: Deps;
  }
}

/** Decorates the app with `deps`, first, so every plugin and route after it reaches them through the app. */
export const depsDecorator = fp<{ deps: Deps }>(async (app, { deps }) => {
  app.decorate('deps', deps);
}, { name: 'repro-deps' });
