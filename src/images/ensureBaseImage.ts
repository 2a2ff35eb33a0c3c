import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { ProviderError } from '../domain/errors.js';
import { dockerStatus } from '../docker/dockerFailure.js';
import type { CatalogImage, ContainerImageSettings } from './catalog.js';
import type { BuildOptions, Mirrors } from './buildOptions.js';
import { followBuildStream } from './followBuildStream.js';
import { pullImage, registryRef, splitRef, type RegistrySettings } from './registry.js';
import { runCommand } from './runCommand.js';

// debootstrap prints one line per package and step; the build log keeps only the milestones.
const PER_PACKAGE = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) (?!required|the base)/;
const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

/** The image id of `ref` on the engine, or undefined when it has no such image. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (dockerStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The command line that makes a family's base tree: debootstrap from the Debian/Ubuntu mirror, `dnf --installroot` from the rhel repository. */
export function bootstrapCommand(image: Pick<CatalogImage, 'family' | 'name'>, bootstrap: NonNullable<ContainerImageSettings['bootstrap']>, dir: string, mirrors: Mirrors): string[] {
  const variant = `--variant=${bootstrap.variant ?? 'minbase'}`;
  if (image.family === 'debian') return ['debootstrap', variant, bootstrap.suite, dir, mirrors.debian];
  if (image.family === 'ubuntu') {
    return ['debootstrap', variant, `--keyring=${UBUNTU_KEYRING}`, '--components=main,universe', bootstrap.suite, dir, mirrors.ubuntu];
  }
  if (!bootstrap.repository) {
    throw new ProviderError(`image ${image.name}: container.bootstrap.repository is needed to install a rhel base with dnf`, { retryable: false });
  }
  // Only the configured repository, none of the host's; the release comes from the setting, not the host.
  const verify = bootstrap.gpgKey ? ['--setopt=bootstrap.gpgcheck=1', `--setopt=bootstrap.gpgkey=${bootstrap.gpgKey}`] : ['--nogpgcheck'];
  return [
    'dnf', '-y', `--installroot=${dir}`, `--releasever=${bootstrap.suite}`, '--setopt=reposdir=/nonexistent',
    `--repofrompath=bootstrap,${bootstrap.repository}`, '--repo=bootstrap', ...verify,
    '--setopt=install_weak_deps=False', '--setopt=tsflags=nodocs', 'install', 'bash', 'coreutils', 'dnf', 'rootfiles',
  ];
}

/**
 * Makes sure the base image a Dockerfile starts FROM exists and returns its id: present → its id;
 * else pulled from the configured registry; else (or when that pull fails) debootstrapped from
 * the family's mirror and imported under the base tag.
 */
export async function ensureBaseImage(image: CatalogImage, opts: BuildOptions): Promise<{ id: string; bootstrapped: boolean }> {
  const settings = image.container;
  if (!settings) throw new ProviderError(`image ${image.name} has no container settings`, { retryable: false });
  const present = await imageId(opts.docker, settings.base);
  if (present) return { id: present, bootstrapped: false };
  const bootstrap = settings.bootstrap;
  const log = (line: string): void => opts.log(`[${settings.base}] ${line}`);
  if (opts.registry) {
    const id = await pullBase(settings.base, opts.registry, opts, log).catch((err: unknown) => {
      if (!bootstrap) throw err;
      log(`pull failed (${(err as Error).message}); bootstrapping instead`);
      return undefined;
    });
    if (id) return { id, bootstrapped: false };
  }
  if (!bootstrap) {
    throw new ProviderError(`base image ${settings.base} is missing, no registry is configured (images.registry) and image ${image.name} has no container.bootstrap settings`, { retryable: false });
  }
  if (process.getuid?.() !== 0) throw new ProviderError(`bootstrapping ${settings.base} needs root (debootstrap, dnf --installroot)`, { retryable: false });
  const dir = await mkdtemp(join(opts.workDir, `bootstrap-${bootstrap.suite}-`));
  const argv = bootstrapCommand(image, bootstrap, dir, opts.mirrors);
  try {
    log(argv.join(' '));
    const started = Date.now();
    await runCommand(argv, { onLine: (line) => PER_PACKAGE.test(line) || log(line) });
    log(`${argv[0]} done in ${seconds(started)}`);
    // Downloaded packages, package lists and the host's resolver/hostname have no place in an image.
    await runCommand(['sh', '-c', 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* "$1"/var/cache/dnf/* "$1"/etc/resolv.conf "$1"/etc/hostname', 'sh', dir]);
    const mirror = bootstrap.repository ?? argv.at(-1) ?? '';
    await importTree(opts.docker, dir, settings.base, [
      'CMD ["bash"]',
      `LABEL io.repro.base.suite=${bootstrap.suite} io.repro.base.mirror=${mirror} io.repro.base.created=${new Date().toISOString()}`,
    ], log);
    log(`imported as ${settings.base} in ${seconds(started)} overall`);
    const id = await imageId(opts.docker, settings.base);
    if (!id) throw new ProviderError(`${settings.base} is missing right after its import`, { retryable: true });
    return { id, bootstrapped: true };
  } finally {
    await removeTree(dir);
  }
}

/** The base from the configured registry (its path there, see registryRef), tagged under the name the Dockerfile uses. */
async function pullBase(base: string, registry: RegistrySettings, opts: BuildOptions, log: (line: string) => void): Promise<string> {
  const ref = registryRef(base, registry.url);
  log(`pulling ${ref}`);
  await pullImage(opts.docker, ref, registry, log);
  await opts.docker.getImage(ref).tag(splitRef(base));
  await opts.docker.getImage(ref).remove({ noprune: true });
  const id = await imageId(opts.docker, base);
  if (!id) throw new ProviderError(`${base} is missing right after its pull from ${ref}`, { retryable: true });
  return id;
}

/** `tar` of the tree streamed into the engine's import endpoint (no docker CLI). */
async function importTree(docker: Docker, dir: string, ref: string, changes: string[], log: (line: string) => void): Promise<void> {
  const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
  });
  const importing = docker.importImage(tar.stdout, { ...splitRef(ref), changes, message: `debootstrap into ${ref}` })
    .then((stream) => followBuildStream(docker, stream, log));
  await Promise.all([tarDone, importing]);
}

/** debootstrap mounts /proc and /sys inside the tree; an interrupted run can leave them mounted. */
async function removeTree(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await runCommand(['umount', '-l', point]).catch(() => undefined);
  await runCommand(['rm', '-rf', '--one-file-system', dir]);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
