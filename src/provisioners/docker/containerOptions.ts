import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { ENV_BRIDGE_PREFIX } from '../../network/isolationRules.js';
import type { ProvisionSpec } from '../port.js';

/**
 * Capabilities left after dropping all: the minimal set with which apt/dpkg installs and common
 * daemons start, found by installing curl, nginx, sudo, openssh-server, cron and
 * postgresql-common with one capability removed at a time. CHOWN, FOWNER, DAC_OVERRIDE: dpkg
 * and maintainer scripts fail without them. FSETID keeps setgid bits of files like crontab.
 * SETUID, SETGID: daemons dropping to their own user. KILL: stopping those daemons again.
 */
export const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID', 'KILL'];

/** The environment's container and network share one name. */
export function resourceName(envId: string): string {
  return `repro-${envId}`;
}

/**
 * The host-side bridge of the environment's network. Named by us (not Docker's `br-<id>`) so
 * the host's isolation rules match every environment with one wildcard; 15 characters at most
 * (Linux interface names), hex so that it never collides with the VM bridge prefix.
 */
export function bridgeName(envId: string): string {
  return ENV_BRIDGE_PREFIX + createHash('sha256').update(envId).digest('hex').slice(0, 12);
}

export function networkOptions(envId: string, labels: Record<string, string>): Docker.NetworkCreateOptions {
  return {
    Name: resourceName(envId),
    // Older engines allow two networks with one name unless asked not to.
    CheckDuplicate: true,
    Driver: 'bridge',
    // Not internal: apt must reach the mirror. What else the container reaches is decided by the
    // host's isolation rules on this bridge (src/network/isolationRules.ts).
    Internal: false,
    Labels: labels,
    Options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.name': bridgeName(envId) },
  };
}

/** The CPU limit the environment's user gets, as the engine takes it. */
export function nanoCpus(spec: ProvisionSpec): number {
  return Math.round(spec.limits.cpus * 1e9);
}

/**
 * `installing`: the container starts without its CPU limit, which the provisioner sets once the
 * packages are in and before anyone else gets the container (the install is repro's own work;
 * capped at one CPU, dpkg's unpacking and the maintainer scripts cannot use the host's others).
 */
export function containerOptions(spec: ProvisionSpec, tag: string, labels: Record<string, string>, installing = false): Docker.ContainerCreateOptions {
  const name = resourceName(spec.envId);
  const memory = spec.limits.memoryMb * 1024 * 1024;
  return {
    name,
    Image: tag,
    Hostname: spec.envId.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63),
    Labels: labels,
    HostConfig: {
      NetworkMode: name,
      // Reaps the zombies left by exec'd commands, which would count against the pids limit.
      Init: true,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: CAPABILITIES,
      SecurityOpt: ['no-new-privileges'],
      ...(installing ? {} : { NanoCpus: nanoCpus(spec) }),
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: spec.limits.pids,
      RestartPolicy: { Name: 'no' },
      Binds: [],
      Mounts: [],
    },
    NetworkingConfig: { EndpointsConfig: { [name]: {} } },
  };
}
