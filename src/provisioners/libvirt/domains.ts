import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainMetadata, DomainSpec } from './domainXml.js';
import { domainXml, METADATA_NS, parseMetadata } from './domainXml.js';
import { NAME_PREFIX } from './names.js';
import type { Virsh } from './virsh.js';
import { isNotFound, isNotRunning } from './virsh.js';

/** Defines (persistent, so the reconciler still sees it after a host reboot) and starts the domain. */
export async function defineAndStart(virsh: Virsh, spec: DomainSpec): Promise<void> {
  await destroyDomain(virsh, spec.name);
  const dir = await mkdtemp(join(tmpdir(), 'repro-domain-'));
  try {
    const file = join(dir, 'domain.xml');
    await writeFile(file, domainXml(spec));
    await virsh.run(['define', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  try {
    await virsh.run(['start', spec.name]);
  } catch (err) {
    // A domain that never ran must not stay defined (a retry, or the reconciler, would trip on it).
    await destroyDomain(virsh, spec.name).catch(() => undefined);
    throw err;
  }
}

/** Stops and undefines; what is already gone is success. */
export async function destroyDomain(virsh: Virsh, name: string): Promise<void> {
  try {
    await virsh.run(['destroy', name]);
  } catch (err) {
    if (!isNotFound(err) && !isNotRunning(err)) throw err;
  }
  try {
    await virsh.run(['undefine', name]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export interface DomainInfo {
  name: string;
  running: boolean;
  metadata: DomainMetadata;
}

/** undefined when the domain does not exist or does not carry our metadata. */
export async function inspectDomain(virsh: Virsh, name: string): Promise<DomainInfo | undefined> {
  let state: string;
  let meta: string;
  try {
    state = (await virsh.run(['domstate', name])).trim();
    meta = await virsh.run(['metadata', name, '--uri', METADATA_NS]);
  } catch (err) {
    if (isNotFound(err) || /metadata not found/i.test(String(err))) return undefined;
    throw err;
  }
  const metadata = parseMetadata(meta);
  return metadata && { name, running: state === 'running', metadata };
}

/** Every domain carrying our metadata (our name prefix first, to spare one call per foreign domain). */
export async function listDomains(virsh: Virsh): Promise<DomainInfo[]> {
  const names = (await virsh.run(['list', '--all', '--name'])).split('\n').map((l) => l.trim());
  const found: DomainInfo[] = [];
  for (const name of names) {
    if (!name.startsWith(NAME_PREFIX)) continue;
    const info = await inspectDomain(virsh, name);
    if (info) found.push(info);
  }
  return found;
}

/** The guest's IPv4 address on the libvirt network: DHCP leases first, then the ARP table. */
export async function domainAddress(virsh: Virsh, name: string): Promise<string | undefined> {
  for (const source of ['lease', 'arp']) {
    try {
      const out = await virsh.run(['domifaddr', name, '--source', source]);
      const ip = /ipv4\s+(\d+\.\d+\.\d+\.\d+)/.exec(out)?.[1];
      if (ip) return ip;
    } catch (err) {
      if (isNotFound(err)) return undefined;
    }
  }
  return undefined;
}
