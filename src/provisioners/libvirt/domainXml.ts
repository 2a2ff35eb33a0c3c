import type { DomainType } from './probeDomainType.js';

/** Namespace of our element in the domain's `<metadata>`: how list() recognises our domains. */
export const METADATA_NS = 'https://repro.invalid/xmlns/environment/1';
export const METADATA_PREFIX = 'repro';

export interface DomainMetadata {
  envId: string;
  ticket: string;
  /** The deployment (Redis prefix) that made it: the reconciler reaps only its own. */
  instance?: string;
  sshPort: number;
  user: string;
}

export interface DomainSpec {
  name: string;
  type: DomainType;
  cpus: number;
  memoryMb: number;
  pool: string;
  overlay: string;
  seed: string;
  network: string;
  /** Direct kernel boot when set; disk boot otherwise. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** Where virtlogd copies the serial console (progress and the ready marker). */
  serialLog?: string;
  metadata: DomainMetadata;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export function metadataXml(m: DomainMetadata): string {
  const e = escapeXml;
  return (
    `<${METADATA_PREFIX}:environment xmlns:${METADATA_PREFIX}="${METADATA_NS}">` +
    `<${METADATA_PREFIX}:managed>true</${METADATA_PREFIX}:managed>` +
    `<${METADATA_PREFIX}:id>${e(m.envId)}</${METADATA_PREFIX}:id>` +
    `<${METADATA_PREFIX}:ticket>${e(m.ticket)}</${METADATA_PREFIX}:ticket>` +
    (m.instance === undefined ? '' : `<${METADATA_PREFIX}:instance>${e(m.instance)}</${METADATA_PREFIX}:instance>`) +
    `<${METADATA_PREFIX}:sshPort>${m.sshPort}</${METADATA_PREFIX}:sshPort>` +
    `<${METADATA_PREFIX}:user>${e(m.user)}</${METADATA_PREFIX}:user>` +
    `</${METADATA_PREFIX}:environment>`
  );
}

/** Reads our metadata back (from `virsh metadata --uri` or a whole dumpxml); undefined when absent. */
export function parseMetadata(xml: string): DomainMetadata | undefined {
  const field = (name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(xml)?.[1];
  const envId = field('id');
  if (field('managed') !== 'true' || envId === undefined) return undefined;
  const unescape = (s: string) =>
    s.replace(/&(lt|gt|amp|apos|quot);/g, (_, n: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[n] ?? '');
  const instance = field('instance');
  return {
    envId: unescape(envId),
    ticket: unescape(field('ticket') ?? ''),
    ...(instance === undefined ? {} : { instance: unescape(instance) }),
    sshPort: Number(field('sshPort') ?? 0),
    user: unescape(field('user') ?? ''),
  };
}

export function domainXml(d: DomainSpec): string {
  const e = escapeXml;
  const boot = d.kernel
    ? `<kernel>${e(d.kernel)}</kernel>` +
      (d.initrd ? `<initrd>${e(d.initrd)}</initrd>` : '') +
      `<cmdline>${e(d.cmdline ?? 'root=/dev/vda rw console=ttyS0')}</cmdline>`
    : `<boot dev='hd'/>`;
  // TCG: the default emulated CPU; KVM: the host's model, for speed and guest features.
  const cpu = d.type === 'kvm' ? `<cpu mode='host-passthrough'/>` : '';
  // An isolated bridge port: no frame reaches another isolated guest of the network, whatever the
  // network's own setting; the host's firewall rules stop the routed way round. clean-traffic
  // (libvirt's nwfilter) drops frames with another MAC or IP than the guest's, learnt from
  // libvirt's own DHCP answer only, so a guest cannot claim a neighbour's address to the host.
  const isolation =
    `<port isolated='yes'/>` +
    `<filterref filter='clean-traffic'><parameter name='CTRL_IP_LEARNING' value='dhcp'/></filterref>`;
  const log = d.serialLog ? `<log file='${e(d.serialLog)}' append='off'/>` : '';
  return `<domain type='${d.type}'>
  <name>${e(d.name)}</name>
  <metadata>${metadataXml(d.metadata)}</metadata>
  <memory unit='MiB'>${d.memoryMb}</memory>
  <vcpu>${d.cpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>${boot}</os>
  <features><acpi/><apic/></features>
  ${cpu}
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source pool='${e(d.pool)}' volume='${e(d.overlay)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source pool='${e(d.pool)}' volume='${e(d.seed)}'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='${e(d.network)}'/>
      <model type='virtio'/>
      ${isolation}
    </interface>
    <serial type='pty'>${log}<target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}
