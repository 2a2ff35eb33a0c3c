import type Docker from 'dockerode';
import { packageArgument } from '../../domain/packages.js';
import { ProviderError } from '../../errors.js';
import type { PackageFamily } from '../../images/catalog.js';
import type { ProgressSink } from '../port.js';
import { execInContainer } from './execInContainer.js';

const TAIL_LINES = 20;
// Output is streamed line by line; only a little is kept by the exec itself.
const KEPT_BYTES = 64 * 1024;
// Network trouble with the mirror is worth another attempt; a package apt cannot find is not.
const TRANSIENT = /Temporary failure resolving|Could not connect|Connection (timed out|refused|reset|failed)|Hash Sum mismatch|Failed to fetch|Unable to fetch some archives|Cannot download|Curl error/i;

interface Step {
  argv: string[];
  /** Failures of an index refresh are about the mirror, hence retryable. */
  alwaysRetryable: boolean;
}

function steps(family: PackageFamily, packages: string[]): Step[] {
  const args = packages.map((p) => packageArgument(p, family));
  if (family === 'rhel') {
    return [{ argv: ['dnf', 'install', '-y', '--setopt=install_weak_deps=False', ...args], alwaysRetryable: false }];
  }
  const keepConfig = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];
  return [
    { argv: ['apt-get', 'update', '-q'], alwaysRetryable: true },
    { argv: ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...keepConfig, ...args], alwaysRetryable: false },
  ];
}

/**
 * Installs packages with the family's package manager, streaming every output line into
 * `progress`. A failure carries the tail of the output; it is retryable only when it looks like
 * mirror trouble.
 */
export async function installPackages(
  container: Docker.Container,
  family: PackageFamily,
  packages: string[],
  progress: ProgressSink,
  timeoutMs: number,
): Promise<void> {
  for (const step of steps(family, packages)) {
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
}
