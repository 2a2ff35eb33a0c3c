import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerImageSettings } from './catalog.js';
import type { BuildOptions } from './buildOptions.js';
import { runCommand } from './runCommand.js';

// debootstrap prints one line per package and step; the build log keeps only the milestones.
const PER_PACKAGE = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) (?!required|the base)/;

/**
 * Makes sure the base image a Dockerfile starts FROM exists: present → nothing to do; otherwise
 * debootstrap its suite from the mirror and `docker import` the tree under the base tag.
 */
export async function ensureBaseImage(settings: ContainerImageSettings, opts: BuildOptions): Promise<'present' | 'bootstrapped'> {
  if (await imageExists(settings.base, opts.env)) return 'present';
  const bootstrap = settings.bootstrap;
  if (!bootstrap) throw new Error(`base image ${settings.base} is missing and the image has no container.bootstrap settings`);
  if (process.getuid?.() !== 0) throw new Error(`bootstrapping ${settings.base} needs root (debootstrap)`);
  const variant = bootstrap.variant ?? 'minbase';
  const dir = await mkdtemp(join(opts.workDir, `bootstrap-${bootstrap.suite}-`));
  const log = (line: string): void => opts.log(`[${settings.base}] ${line}`);
  try {
    log(`debootstrap --variant=${variant} ${bootstrap.suite} from ${opts.mirror}`);
    const started = Date.now();
    await runCommand(['debootstrap', `--variant=${variant}`, bootstrap.suite, dir, opts.mirror], {
      onLine: (line) => PER_PACKAGE.test(line) || log(line),
    });
    log(`debootstrap done in ${seconds(started)}`);
    // Downloaded .debs, package lists and the host's resolver/hostname have no place in an image.
    await runCommand(['sh', '-c', 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* "$1"/etc/resolv.conf "$1"/etc/hostname', 'sh', dir]);
    await importTree(dir, settings.base, bootstrap.suite, opts);
    log(`imported as ${settings.base} in ${seconds(started)} overall`);
    return 'bootstrapped';
  } finally {
    await removeTree(dir);
  }
}

export async function imageExists(ref: string, env?: NodeJS.ProcessEnv): Promise<boolean> {
  return runCommand(['docker', 'image', 'inspect', '--format', '{{.Id}}', ref], env ? { env } : {}).then(
    () => true,
    () => false,
  );
}

async function importTree(dir: string, tag: string, suite: string, opts: BuildOptions): Promise<void> {
  const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
  });
  const changes = [
    'CMD ["bash"]',
    `LABEL io.repro.base.suite=${suite} io.repro.base.mirror=${opts.mirror} io.repro.base.created=${new Date().toISOString()}`,
  ].flatMap((c) => ['--change', c]);
  const importing = runCommand(['docker', 'import', ...changes, '--message', `debootstrap ${suite} from ${opts.mirror}`, '-', tag], {
    stdin: tar.stdout,
    ...(opts.env ? { env: opts.env } : {}),
  });
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
