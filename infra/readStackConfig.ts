import * as pulumi from '@pulumi/pulumi';
import { PACKAGE_MANAGERS, type PackageManager } from '../src/domain/packages.js';
import type { DomainType } from '../src/provisioners/libvirt/probeDomainType.js';
import type { VmStackConfig } from '../src/provisioners/libvirt/vmStackConfig.js';

/** The program's only input: the stack's config, as the engine set it (see VmStackConfig). */
export function readStackConfig(config = new pulumi.Config()): VmStackConfig {
  const optional = (key: string) => {
    const v = config.get(key);
    return v === undefined || v === '' ? {} : { [key]: v };
  };
  const domainType = config.require('domainType');
  if (domainType !== 'kvm' && domainType !== 'qemu') throw new Error(`domainType must be kvm or qemu, not ${domainType}`);
  return {
    envId: config.require('envId'),
    ticket: config.require('ticket'),
    ...optional('instance'),
    image: config.require('image'),
    disk: config.require('disk'),
    ...optional('kernel'),
    ...optional('initrd'),
    ...optional('cmdline'),
    cpus: config.requireNumber('cpus'),
    memoryMb: config.requireNumber('memoryMb'),
    diskGb: config.requireNumber('diskGb'),
    user: config.require('user'),
    packages: config.getObject<string[]>('packages') ?? [],
    ...(config.getBoolean('preinstalled') ? { preinstalled: true } : {}),
    ...packageManager(config.get('packageManager')),
    ...optional('packageCacheUrl'),
    ...cloudInit(config.getObject<Record<string, unknown>>('cloudInit')),
    sshPublicKey: config.require('sshPublicKey'),
    libvirtUri: config.require('libvirtUri'),
    network: config.require('network'),
    pool: config.require('pool'),
    poolPath: config.require('poolPath'),
    domainType: domainType satisfies DomainType,
    sshPort: config.requireNumber('sshPort'),
    ...optional('serialLog'),
  };
}

function packageManager(value: string | undefined): { packageManager?: PackageManager } {
  if (value === undefined || value === '') return {};
  if (!(PACKAGE_MANAGERS as readonly string[]).includes(value)) throw new Error(`packageManager must be one of ${PACKAGE_MANAGERS.join(', ')}, not ${value}`);
  return { packageManager: value as PackageManager };
}

function cloudInit(value: Record<string, unknown> | undefined): { cloudInit?: Record<string, unknown> } {
  return value === undefined ? {} : { cloudInit: value };
}
