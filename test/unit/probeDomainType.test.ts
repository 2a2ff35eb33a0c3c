/**
 * The probe's decision on hypervisors we cannot reproduce here, through a fake virsh (recorded
 * answers of libvirt 9 on a host whose /dev/kvm is root-only, and of one where KVM works).
 */
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.js';
import { domainTypeOf, isKvmFailure, probeDomainType, rememberDomainType } from '../../src/provisioners/libvirt/probeDomainType.js';
import type { Virsh } from '../../src/provisioners/libvirt/virsh.js';

const KVM_DENIED = 'virsh create failed: internal error: qemu unexpectedly closed the monitor: Could not access KVM kernel module: Permission denied';

function fakeVirsh(answers: Record<string, string | Error>, uri = 'qemu:///system'): Virsh & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    uri,
    calls,
    async run(args) {
      calls.push(args);
      const answer = answers[args[0]!] ?? '';
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('probeDomainType', () => {
  it('falls back to TCG when libvirt reports KVM but qemu cannot open /dev/kvm', async () => {
    const virsh = fakeVirsh({ domcapabilities: '<domainCapabilities/>', create: new ProviderError(KVM_DENIED) });
    expect(await probeDomainType(virsh)).toBe('qemu');
  });

  it('keeps KVM when a KVM guest really starts, and destroys the probe guest', async () => {
    const virsh = fakeVirsh({ domcapabilities: '<domainCapabilities/>' });
    expect(await probeDomainType(virsh)).toBe('kvm');
    const created = virsh.calls.find((c) => c[0] === 'create');
    const destroyed = virsh.calls.find((c) => c[0] === 'destroy');
    expect(created).toBeDefined();
    expect(destroyed?.[1]).toMatch(/^repro-kvm-probe-[0-9a-f]{8}$/);
  });

  it('uses TCG without trying a guest when libvirt has no KVM at all', async () => {
    const virsh = fakeVirsh({ domcapabilities: new ProviderError('virsh domcapabilities failed: unsupported configuration: KVM is not supported') });
    expect(await probeDomainType(virsh)).toBe('qemu');
    expect(virsh.calls.map((c) => c[0])).toEqual(['domcapabilities']);
  });

  it('probes once per hypervisor in a process, and takes a correction', async () => {
    const uri = `qemu+ssh://cache-test-${Date.now()}/system`;
    const virsh = fakeVirsh({ domcapabilities: '<domainCapabilities/>' }, uri);
    const [a, b] = await Promise.all([domainTypeOf(virsh), domainTypeOf(virsh)]);
    expect([a, b, await domainTypeOf(virsh)]).toEqual(['kvm', 'kvm', 'kvm']);
    expect(virsh.calls.filter((c) => c[0] === 'create')).toHaveLength(1);
    rememberDomainType(uri, 'qemu');
    expect(await domainTypeOf(virsh)).toBe('qemu');
    const other = fakeVirsh({ domcapabilities: new ProviderError('KVM is not supported') }, `${uri}-other`);
    expect(await domainTypeOf(other)).toBe('qemu');
    expect(virsh.calls.filter((c) => c[0] === 'create')).toHaveLength(1);
  });

  it('recognises a failed start caused by KVM, and only that', () => {
    expect(isKvmFailure(new ProviderError(KVM_DENIED))).toBe(true);
    expect(isKvmFailure(new ProviderError('virsh start failed: Cannot access storage file'))).toBe(false);
  });
});
