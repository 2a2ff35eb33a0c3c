import { execFile } from 'node:child_process';
import { ProviderError } from '../../domain/errors.js';

export interface Virsh {
  readonly uri: string;
  /** Runs `virsh -c URI ...args`; resolves with stdout, rejects with a ProviderError. */
  run(args: string[], opts?: { timeoutMs?: number }): Promise<string>;
}

/** libvirt's messages for "the thing is not there", across the object kinds we touch. */
const NOT_FOUND = /not found|no domain with matching|no storage (vol|pool) with matching|does not exist|failed to get domain/i;
const NOT_RUNNING = /not running|domain is not active/i;

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && NOT_FOUND.test(err.message);
}

export function isNotRunning(err: unknown): boolean {
  return err instanceof Error && NOT_RUNNING.test(err.message);
}

/**
 * Calls that parse a domain (define, start, create, domcapabilities) make libvirt check its qemu
 * capabilities cache; on hosts where libvirt and qemu disagree about /dev/kvm it probes qemu
 * again every time (seconds each, a minute under load), so the default bound is generous.
 */
const DEFAULT_TIMEOUT_MS = 300_000;

/** Every call goes through `virsh -c URI`, so the same code drives a local or a remote hypervisor. */
export function createVirsh(uri: string): Virsh {
  return {
    uri,
    run(args, opts = {}) {
      return new Promise((resolve, reject) => {
        execFile(
          'virsh',
          ['-q', '-c', uri, ...args],
          { timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            if (!err) return resolve(stdout);
            const timedOut = (err as { killed?: boolean }).killed === true;
            const detail = timedOut
              ? `no answer within ${(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000}s`
              : (stderr || err.message).trim().replace(/^error: /gm, '');
            reject(new ProviderError(`virsh ${args[0]} failed: ${detail}`, { cause: err }));
          },
        );
      });
    },
  };
}
