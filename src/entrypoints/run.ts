import type { FastifyInstance } from 'fastify';
import { bootstrapAdminToken } from '../auth/bootstrapAdminToken.js';
import { closeWithin } from './closeWithin.js';
import { loadConfig, type Config } from '../config/loadConfig.js';
import { buildDeps } from '../app/buildDeps.js';
import { buildApp } from '../http/buildApp.js';
import { readCatalog, staticCatalog } from '../images/loadCatalog.js';
import { ensureNetworkIsolation } from '../app/ensureNetworkIsolation.js';
import { buildProvisioners } from '../provisioners/buildProvisioners.js';
import { startWorkers, type Workers } from '../workers/startWorkers.js';
import { ReproError } from '../domain/errors.js';

type Role = Config['roles'][number];

/** Entry points share this: load config → build deps → start the roles asked for → close gracefully on a signal. */
export async function run(roles?: Role[]): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`repro: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const active = roles ?? config.roles;
  // Broken definitions are reported (log, /readyz, GET /v1/images); the valid ones are served.
  const { images, broken } = await readCatalog(config.imagesDir);
  const deps = buildDeps({ config, catalog: staticCatalog(images), brokenImages: broken, provisioners: buildProvisioners(config) });
  const { log } = deps;
  for (const b of broken) log.error({ file: b.file, field: b.field }, `broken image definition: ${b.message}`);
  let app: FastifyInstance | undefined;
  let workers: Workers | undefined;

  let closing = false;
  const shutdown = async (signal: string, code = 0) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Stop taking requests first, then let workers finish their current step; past the deadline, exit all the same.
    const { pending, failed } = await closeWithin([
      { name: 'http server', close: async () => app?.close() },
      { name: 'workers', close: async () => workers?.close() },
      { name: 'connections', close: () => deps.close() },
    ], config.shutdownTimeoutMs);
    for (const f of failed) log.error({ step: f.name, err: f.error }, 'shutdown step failed');
    if (pending.length > 0) log.error({ pending, timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting with these still closing');
    process.exit(pending.length > 0 || failed.length > 0 ? 1 : code);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    // Without Redis nothing can start; say so plainly (repeatedly) instead of hanging silently.
    await deps.ready((message) => {
      log.warn(message);
      process.stderr.write(`repro: ${message}\n`);
    });
    await deps.catalog.refresh();
    if (active.includes('worker')) {
      await ensureNetworkIsolation(config, log);
      workers = await startWorkers(deps, deps.connect());
      log.info({ hostId: config.hostId, deployment: workers.deployment, kinds: Object.keys(deps.provisioners) }, 'workers started');
    }
    if (active.includes('api')) {
      const tokenSource = await bootstrapAdminToken(config, deps.tokens);
      app = await buildApp(deps);
      await app.listen({ port: config.port, host: config.host });
      const url = config.publicUrl ?? `http://${config.host}:${config.port}`;
      process.stdout.write(`\nrepro is listening on ${url}  (API docs: ${url}/docs)\nadmin token: ${tokenSource}\n\n`);
    }
  } catch (err) {
    log.error({ err }, err instanceof ReproError ? err.message : 'start failed');
    await shutdown('start-failure', 1);
  }
}
