import type { Config } from '../config/loadConfig.js';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Provisioner } from './port.js';
import { createDockerProvisioner } from './docker/createDockerProvisioner.js';
import { createLibvirtProvisioner } from './libvirt/createLibvirtProvisioner.js';

/** The providers this host serves (`kinds`), from configuration. */
export function buildProvisioners(config: Config): Partial<Record<EnvironmentKind, Provisioner>> {
  const out: Partial<Record<EnvironmentKind, Provisioner>> = {};
  const packageCache = config.packageCache.url !== 'off' ? { packageCacheUrl: config.packageCache.url } : {};
  if (config.kinds.includes('container')) {
    out.container = createDockerProvisioner({
      hostId: config.hostId,
      ...(config.dockerHost ? { dockerHost: config.dockerHost } : {}),
      ...packageCache,
      snapshots: { maxCount: config.snapshots.maxCount, maxBytes: config.snapshots.maxGb * 1024 ** 3 },
    });
  }
  if (config.kinds.includes('vm')) {
    out.vm = createLibvirtProvisioner({
      libvirt: config.libvirt,
      dataDir: config.dataDir,
      ...packageCache,
      snapshots: { maxCount: config.snapshots.maxCount, maxBytes: config.snapshots.maxGb * 1024 ** 3 },
    });
  }
  return out;
}
