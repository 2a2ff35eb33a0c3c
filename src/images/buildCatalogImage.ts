import { join } from 'node:path';
import type { CatalogImage } from './catalog.js';
import type { BuildOptions } from './buildOptions.js';
import { runCommand } from './runCommand.js';

/** `docker build` of one catalog image from its folder; the layer cache makes unchanged rebuilds cheap. */
export async function buildCatalogImage(image: CatalogImage, opts: BuildOptions): Promise<void> {
  const settings = image.container;
  if (!settings) throw new Error(`image ${image.name} has no container settings`);
  const mirrorArgs =
    image.family === 'debian'
      ? ['--build-arg', `DEBIAN_MIRROR=${opts.mirror}`, '--build-arg', `DEBIAN_SECURITY_MIRROR=${opts.securityMirror}`]
      : [];
  const argv = [
    'docker', 'build',
    '--tag', settings.tag,
    '--file', join(image.dir, settings.dockerfile),
    '--label', `io.repro.image=${image.name}`,
    ...mirrorArgs,
    ...(opts.noCache ? ['--no-cache'] : []),
    image.dir,
  ];
  // The classic builder resolves FROM against local images; BuildKit on older engines may try a registry.
  const env = { ...(opts.env ?? process.env), DOCKER_BUILDKIT: '0' };
  const onLine = (line: string): void => {
    if (opts.verbose) opts.log(`[${settings.tag}] ${line}`);
    else if (/^(Step \d|Successfully)/.test(line)) opts.log(`[${settings.tag}] ${line.length > 100 ? `${line.slice(0, 99)}…` : line}`);
  };
  await runCommand(argv, { env, onLine });
}
