import type Docker from 'dockerode';
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

export function networkOptions(envId: string, labels: Record<string, string>): Docker.NetworkCreateOptions {
  return {
    Name: resourceName(envId),
    // Older engines allow two networks with one name unless asked not to.
    CheckDuplicate: true,
    Driver: 'bridge',
    // Not internal: apt must reach the mirror. Environments are apart because each has its own bridge.
    Internal: false,
    Labels: labels,
    Options: { 'com.docker.network.bridge.enable_icc': 'false' },
  };
}

export function containerOptions(spec: ProvisionSpec, tag: string, labels: Record<string, string>): Docker.ContainerCreateOptions {
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
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
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
