import type Docker from 'dockerode';
import { installedQuery, packageArgument, parseInstalled, type PackageManager } from '../../domain/packages.js';
import { ProviderError } from '../../domain/errors.js';
import { packageManagerOf, type CatalogImage } from '../../images/catalog.js';
import { packageProxyScript } from '../packageProxyScript.js';
import type { ProgressSink } from '../port.js';
import { execInContainer } from './execInContainer.js';

const TAIL_LINES = 20;
// Output is streamed line by line; only a little is kept by the exec itself.
const KEPT_BYTES = 64 * 1024;
// Network trouble with the mirror is worth another attempt; a package the manager cannot find is not.
const TRANSIENT = /Temporary failure resolving|Could not connect|Connection (timed out|refused|reset|failed)|Hash Sum mismatch|Failed to fetch|Unable to fetch some archives|Cannot download|Curl error/i;

interface Step {
  argv: string[];
  /** Failures of an index refresh are about the mirror, hence retryable. */
  alwaysRetryable: boolean;
}

/** Points the package manager at the host's package cache (the URL comes from validated configuration). */
function proxySteps(manager: PackageManager, proxyUrl: string | undefined): Step[] {
  if (proxyUrl === undefined) return [];
  return [{ argv: ['sh', '-c', packageProxyScript(manager), 'sh', proxyUrl], alwaysRetryable: false }];
}

function steps(image: Pick<CatalogImage, 'family' | 'packageManager'>, packages: string[], proxyUrl: string | undefined): Step[] {
  const args = packages.map((p) => packageArgument(p, image.family));
  const manager = packageManagerOf(image);
  const proxy = proxySteps(manager, proxyUrl);
  switch (manager) {
    case 'dnf':
      return [...proxy, { argv: ['dnf', 'install', '-y', '--setopt=install_weak_deps=False', ...args], alwaysRetryable: false }];
    case 'yum':
      // yum exits 0 when a name matches nothing; the installed check after it catches that.
      return [...proxy, { argv: ['yum', 'install', '-y', ...args], alwaysRetryable: false }];
    case 'apt': {
      const keepConfig = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
      // The downloaded .debs are of no use once installed (the package cache keeps them for the
      // host); left in the container they would weigh on its package-set snapshot and its commit.
      const dropDebs = ['-o', 'APT::Keep-Downloaded-Packages=false'];
      return [
        ...proxy,
        { argv: ['apt-get', 'update', '-q'], alwaysRetryable: true },
        { argv: ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...keepConfig, ...dropDebs, ...args], alwaysRetryable: false },
      ];
    }
  }
}

/**
 * Installs packages with the image's package manager (apt, dnf or yum), through the host's
 * package cache when `proxyUrl` is set, streaming every output line into `progress`, then asks the family's package database (dpkg or rpm) what is installed.
 * Returns `name → exact version` of the asked packages. A failure carries the tail of the output;
 * it is retryable only when it looks like mirror trouble.
 */
export async function installPackages(
  container: Docker.Container,
  image: Pick<CatalogImage, 'family' | 'packageManager'>,
  packages: string[],
  progress: ProgressSink,
  timeoutMs: number,
  proxyUrl?: string,
): Promise<Record<string, string>> {
  for (const step of steps(image, packages, proxyUrl)) {
    const tail: string[] = [];
    progress(`$ ${step.argv.join(' ')}`);
    const result = await execInContainer(container, step.argv, {
      timeoutMs,
      maxOutputBytes: KEPT_BYTES,
      env: ['DEBIAN_FRONTEND=noninteractive'],
      onLine: (line) => {
        if (line.trim() === '') return;
        progress(line);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      },
    });
    if (result.exitCode === 0) continue;
    const what = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with ${result.exitCode}`;
    const output = tail.join('\n');
    throw new ProviderError(`${step.argv.slice(0, 2).join(' ')} ${what}:\n${output}`, {
      retryable: step.alwaysRetryable || result.timedOut || TRANSIENT.test(output),
    });
  }
  return installedVersions(container, image, packages);
}

/** `name → version` from dpkg or rpm; a package the database lacks fails the environment. */
export async function installedVersions(
  container: Docker.Container,
  image: Pick<CatalogImage, 'family' | 'packageManager'>,
  packages: string[],
): Promise<Record<string, string>> {
  if (packages.length === 0) return {};
  const query = installedQuery(packageManagerOf(image), packages);
  const result = await execInContainer(container, query, { timeoutMs: 30_000, maxOutputBytes: KEPT_BYTES });
  const installed = parseInstalled(result.stdout);
  if (result.exitCode !== 0 || Object.keys(installed).length < new Set(packages.map((p) => p.split('=')[0])).size) {
    throw new ProviderError(`packages not installed after ${query[0]}: ${(result.stderr || result.stdout).trim().slice(0, 1000)}`, { retryable: false });
  }
  return installed;
}
