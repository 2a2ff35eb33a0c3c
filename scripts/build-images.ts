/**
 * Builds the container images of the catalog from a shell, through the same builder and build
 * records as the service's image-build queue (so GET /v1/images shows them as serving builds):
 * `npx tsx scripts/build-images.ts [--quiet] [--no-cache] [names...]`.
 * Missing base images are pulled from images.registry or bootstrapped from the family's mirror
 * (needs root); the Debian images when no name is given. Same inputs → no-op.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from '../src/config/loadConfig.js';
import { buildDeps } from '../src/app/buildDeps.js';
import { mirrorsFrom } from '../src/images/buildOptions.js';
import { loadCatalog } from '../src/images/loadCatalog.js';
import { runBuild } from '../src/images/runBuild.js';
import { tagsInUse } from '../src/images/tagsInUse.js';
import { dockerClientOptions } from '../src/docker/dockerClientOptions.js';

async function main(args: string[]): Promise<boolean> {
  const config = loadConfig();
  const catalog = await loadCatalog(config.imagesDir);
  const flags = args.filter((a) => a.startsWith('--'));
  const badFlag = flags.find((f) => f !== '--quiet' && f !== '--no-cache');
  if (badFlag) throw new Error(`unknown option ${badFlag}; use --quiet, --no-cache and image names`);
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => catalog.get(n) === undefined);
  if (unknown.length > 0) {
    throw new Error(`unknown image ${unknown.join(', ')}; the catalog has ${catalog.list().map((i) => i.name).join(', ')}`);
  }
  const workDir = join(config.dataDir, 'tmp');
  await mkdir(workDir, { recursive: true });
  const clientOptions = dockerClientOptions(config.dockerHost);
  const docker = clientOptions ? new Docker(clientOptions) : new Docker();
  const deps = buildDeps({ config, catalog, provisioners: {}, log: pino({ level: 'warn' }) });
  const quiet = args.includes('--quiet');
  let ok = true;
  try {
    await deps.ready();
    await deps.catalog.refresh();
    // Without names: the Debian family, whose bases debootstrap makes from the Debian mirror. Ubuntu
    // and rhel bases need their mirror or a registry (images.registry): name them to build them.
    const images = names.length > 0 ? names : deps.catalog.list().filter((i) => i.family === 'debian' && i.container).map((i) => i.name);
    for (const name of images) {
      const started = Date.now();
      const record = await deps.builds.create(name, deps.catalog.sourceOf(name)?.revision ?? 1, 'build-images');
      await runBuild({
        catalog: deps.catalog, builds: deps.builds, clock: deps.clock, hostId: config.hostId, keepBuilds: config.images.keepBuilds,
        build: { docker, mirrors: mirrorsFrom(config), workDir, noCache: args.includes('--no-cache'), ...(config.images.registry ? { registry: config.images.registry } : {}) },
        tagsInUse: () => tagsInUse(deps.store),
        echo: (line) => (!quiet || /^(Step \d|Successfully|building|\S+ exists|pulling|pruned)/.test(line)) && console.log(`[${name}] ${line}`),
      }, record.id);
      const done = await deps.builds.require(record.id);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (done.state === 'succeeded') console.log(`${(done.tag ?? '').padEnd(40)} ${done.cached ? 'unchanged' : 'built'}, ${seconds} s`);
      else {
        ok = false;
        console.error(`[${name}] build failed: ${done.error ?? 'unknown'}`);
      }
    }
  } finally {
    await deps.close();
  }
  return ok;
}

main(process.argv.slice(2)).then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: unknown) => {
    console.error(`build-images: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
