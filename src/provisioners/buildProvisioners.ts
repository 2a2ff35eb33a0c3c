import type { Config } from '../config/loadConfig.js';
import type { EnvironmentKind } from '../domain/environment.js';
import type { Provisioner } from './port.js';
import { createDockerProvisioner } from './docker/createDockerProvisioner.js';

/** The providers this host serves, from configuration. */
export function buildProvisioners(config: Config): Partial<Record<EnvironmentKind, Provisioner>> {
  return {
    container: createDockerProvisioner({ hostId: config.hostId, ...(config.dockerHost ? { dockerHost: config.dockerHost } : {}) }),
  };
}
