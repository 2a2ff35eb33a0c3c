/**
 * Builds the container images of the catalog: `npx tsx scripts/build-images.ts [--quiet] [--no-cache] [names...]`.
 * Missing base images are bootstrapped from REPRO_DEBIAN_MIRROR (needs root); all names when none given.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../src/config/loadConfig.js';
import { buildImages } from '../src/images/buildImages.js';
import { defaultSecurityMirror } from '../src/images/buildOptions.js';
import { loadCatalog } from '../src/images/loadCatalog.js';

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
  const images = names.length > 0 ? names.map((n) => catalog.get(n)!) : catalog.list();
  const workDir = join(config.dataDir, 'tmp');
  await mkdir(workDir, { recursive: true });
  const env = config.dockerHost ? { ...process.env, DOCKER_HOST: config.dockerHost } : process.env;
  const reports = await buildImages(images, {
    mirror: config.debianMirror,
    // Not a service setting: only image builds use it.
    securityMirror: process.env['REPRO_DEBIAN_SECURITY_MIRROR'] ?? defaultSecurityMirror(config.debianMirror),
    workDir,
    noCache: args.includes('--no-cache'),
    verbose: !args.includes('--quiet'),
    env,
    log: (line) => console.log(line),
  });
  for (const r of reports) console.log(`${r.tag.padEnd(28)} ${r.base === 'bootstrapped' ? 'base bootstrapped, ' : ''}${r.seconds} s`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`build-images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
