import type { Virsh } from './virsh.js';

export type DomainType = 'kvm' | 'qemu';

/**
 * Asks the hypervisor whether it can run KVM guests (libvirt probes qemu with the KVM accel):
 * a /dev/kvm file that exists but does not work, or a remote host, are both answered right.
 */
export async function probeDomainType(virsh: Virsh): Promise<DomainType> {
  try {
    await virsh.run(['domcapabilities', '--virttype', 'kvm', '--arch', 'x86_64']);
    return 'kvm';
  } catch {
    return 'qemu';
  }
}
