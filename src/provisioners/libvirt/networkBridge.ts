import { ProviderError } from '../../domain/errors.js';
import type { Virsh } from './virsh.js';

/** The host bridge of a libvirt network (`virsh net-info`), where its guests' traffic enters the host. */
export async function networkBridge(virsh: Virsh, network: string): Promise<string> {
  const info = await virsh.run(['net-info', network]);
  const bridge = /^Bridge:\s*(\S+)/m.exec(info)?.[1];
  if (!bridge) throw new ProviderError(`libvirt network ${network} has no bridge`, { retryable: false });
  return bridge;
}
