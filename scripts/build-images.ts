/**
 * Builds the container images of the catalog: `npx tsx scripts/build-images.ts [--quiet] [--no-cache] [names...]`.
 * Missing base images are pulled from images.registry or bootstrapped from the family's mirror (needs
 * root); the Debian images when no name is given.
 * Same inputs → no-op (the content-hash tag exists).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { loadConfig } from '../src/config/loadConfig.js';
import { buildImage } from '../src/images/buildImage.js';
import { mirrorsFrom } from '../src/images/buildOptions.js';
import { loadCatalog } from '../src/images/loadCatalog.js';
import { dockerClientOptions } from '../src/provisioners/docker/dockerClientOptions.js';

async function main(args: string[]): Promise<void> {
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
  // Without names: the Debian family, whose bases debootstrap makes from the Debian mirror. Ubuntu
  // and rhel bases need their mirror or a registry (images.registry): name them to build them.
  const images = names.length > 0 ? names.map((n) => catalog.get(n)!) : catalog.list().filter((i) => i.family === 'debian' && i.container);
  const workDir = join(config.dataDir, 'tmp');
  await mkdir(workDir, { recursive: true });
  const clientOptions = dockerClientOptions(config.dockerHost);
  const docker = clientOptions ? new Docker(clientOptions) : new Docker();
  const quiet = args.includes('--quiet');
  for (const image of images) {
    const started = Date.now();
    const built = await buildImage(image, {
      docker,
      mirrors: mirrorsFrom(config),
      ...(config.images.registry ? { registry: config.images.registry } : {}),
      workDir,
      noCache: args.includes('--no-cache'),
      log: (line) => (!quiet || /^(Step \d|Successfully|building|\S+ exists)/.test(line)) && console.log(`[${image.name}] ${line}`),
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${built.tag.padEnd(40)} ${built.cached ? 'unchanged' : 'built'}${built.baseBootstrapped ? ', base bootstrapped' : ''}, ${seconds} s`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`build-images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
