import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const Check = Type.Object({
  status: Type.String(),
  checks: Type.Record(Type.String(), Type.String()),
  /** Image definitions that did not load: listed, but the valid ones are served, so readiness holds. */
  brokenImages: Type.Optional(Type.Array(Type.Object({ file: Type.String(), field: Type.Optional(Type.String()), message: Type.String() }))),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  app.get('/healthz', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: Check } } },
    async () => ({ status: 'ok', checks: {} }));

  app.get('/readyz', {
    config: { auth: 'public' },
    schema: { tags: ['health'], summary: 'Readiness: Redis and every provider this process uses', response: { 200: Check, 503: Check } },
  }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    const probes: Array<[string, () => Promise<unknown>]> = [
      ['redis', () => deps.redis.ping()],
      ...Object.entries(deps.provisioners).map(([kind, p]) => [kind, () => p!.ping()] as [string, () => Promise<unknown>]),
    ];
    await Promise.all(probes.map(async ([name, probe]) => {
      try {
        await withTimeout(probe(), 3000);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = (err as Error).message.slice(0, 200);
      }
    }));
    const ok = Object.values(checks).every((v) => v === 'ok');
    const brokenImages = deps.catalog.broken();
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks, ...(brokenImages.length > 0 ? { brokenImages } : {}) });
  });

  app.get('/metrics', { config: { auth: 'public' }, schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    const { metrics, store, queues } = deps;
    const counts = await store.countByState();
    for (const [state, n] of Object.entries(counts)) metrics.environments.set({ state }, n);
    const [own, queued] = await Promise.all([metrics.registry.metrics(), queues.prometheusMetrics()]);
    return reply.header('content-type', metrics.registry.contentType).send(queued === '' ? own : `${own}${queued}\n`);
  });
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
