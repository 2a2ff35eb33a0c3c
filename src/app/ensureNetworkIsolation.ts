import type { Logger } from 'pino';
import type { Config } from '../config/loadConfig.js';
import { ConfigError } from '../domain/errors.js';
import { networkBridge } from '../provisioners/libvirt/networkBridge.js';
import { createVirsh } from '../provisioners/libvirt/virsh.js';
import { ensureIsolation } from '../network/ensureIsolation.js';
import { isolationRules, packageCacheService, VM_BRIDGE_PREFIX } from '../network/isolationRules.js';

/**
 * A worker's start-up check: environments it creates must not reach this host, the metadata
 * address or each other. Installs the firewall rules when missing and refuses to start when they
 * cannot be put in place or when VMs would land on a network the rules do not cover.
 */
export async function ensureNetworkIsolation(config: Config, log: Logger): Promise<void> {
  await ensureIsolation(isolationRules(packageCacheService(config.packageCache.url)));
  if (config.kinds.includes('vm')) {
    const { network, uri } = config.libvirt;
    const bridge = await networkBridge(createVirsh(uri), network);
    if (!bridge.startsWith(VM_BRIDGE_PREFIX)) {
      throw new ConfigError(
        `libvirt.network: network ${network} uses bridge ${bridge}, which the isolation rules do not cover; ` +
          `use a network whose bridge starts with ${VM_BRIDGE_PREFIX} (scripts/setup-libvirt defines "repro")`,
      );
    }
  }
  // The rules guard this host: an engine elsewhere needs scripts/setup-network run there.
  if (config.kinds.includes('container') && config.dockerHost && !config.dockerHost.startsWith('unix://')) {
    log.warn({ dockerHost: config.dockerHost }, 'the Docker engine is on another host: install the isolation rules there (scripts/setup-network)');
  }
  if (config.kinds.includes('vm') && !/^[a-z+]+:\/\/\//.test(config.libvirt.uri)) {
    log.warn({ uri: config.libvirt.uri }, 'libvirt is on another host: install the isolation rules there (scripts/setup-network)');
  }
  log.info('environment network isolation rules in place');
}
