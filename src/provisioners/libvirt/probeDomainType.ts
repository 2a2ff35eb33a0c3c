import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAME_PREFIX } from './names.js';
import type { Virsh } from './virsh.js';

export type DomainType = 'kvm' | 'qemu';

/**
 * The domain type qemu can really use on this hypervisor. libvirt may report KVM (domcapabilities
 * answers) while qemu, running as its own user, cannot open a root-only /dev/kvm: only starting a
 * guest proves it, so a tiny transient one is started and destroyed. Works for remote hosts too.
 */
export async function probeDomainType(virsh: Virsh): Promise<DomainType> {
  try {
    await virsh.run(['domcapabilities', '--virttype', 'kvm', '--arch', 'x86_64']);
  } catch {
    return 'qemu';
  }
  return (await kvmGuestStarts(virsh)) ? 'kvm' : 'qemu';
}

/**
 * What a process learnt per hypervisor: the probe costs seconds (a guest start, and libvirt may
 * probe qemu for each call) and its answer changes only with the host's setup, so each process
 * probes once. A start that proves KVM unusable after all corrects it (rememberDomainType).
 */
const known = new Map<string, Promise<DomainType>>();

/** The domain type for this hypervisor, probed on first use in this process. */
export function domainTypeOf(virsh: Virsh): Promise<DomainType> {
  let type = known.get(virsh.uri);
  if (!type) {
    type = probeDomainType(virsh);
    known.set(virsh.uri, type);
    // A probe that could not run at all is asked again next time.
    type.catch(() => known.delete(virsh.uri));
  }
  return type;
}

export function rememberDomainType(uri: string, type: DomainType): void {
  known.set(uri, Promise.resolve(type));
}

/** True when the message of a failed start says qemu could not use KVM. */
export function isKvmFailure(err: unknown): boolean {
  return /KVM kernel module|failed to initialize kvm|\/dev\/kvm/i.test(String((err as Error | undefined)?.message ?? err));
}

async function kvmGuestStarts(virsh: Virsh): Promise<boolean> {
  // Our name prefix but no metadata of ours: listDomains (the reconciler) never takes it for an environment.
  const name = `${NAME_PREFIX}kvm-probe-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'repro-kvm-probe-'));
  const file = join(dir, 'probe.xml');
  await writeFile(file, `<domain type='kvm'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>`
    + `<os><type arch='x86_64'>hvm</type></os><devices/></domain>\n`);
  try {
    // Transient: destroying it leaves nothing defined, and a failed create defines nothing.
    await virsh.run(['create', file]);
    await virsh.run(['destroy', name]).catch(() => undefined);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
