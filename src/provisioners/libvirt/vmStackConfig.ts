import type { PackageManager } from '../../domain/packages.js';
import type { VmImageSettings } from '../../images/catalog.js';
import type { DomainType } from './probeDomainType.js';
import { vmNames } from './names.js';
import { seedFiles } from './seedFiles.js';
import type { DomainInputs, OverlayInputs, SeedInputs } from './steps.js';

/**
 * Everything one VM environment is made of, flat and serialisable: the Pulumi stack's config
 * and the direct engine's input alike. The image's VM settings, with the environment's own cpus,
 * memory and disk, and paths made absolute.
 */
export interface VmStackConfig extends Pick<VmImageSettings, 'kernel' | 'initrd' | 'cmdline' | 'cpus' | 'memoryMb' | 'diskGb' | 'user' | 'cloudInit'> {
  envId: string;
  /** `system:id` */
  ticket: string;
  /** The deployment (Redis prefix) that made it. */
  instance?: string;
  image: string;
  /** Absolute path of the qcow2 the overlay is backed by: the image's base disk, or a package-set snapshot of it. */
  disk: string;
  packages: string[];
  /** `disk` is a package-set snapshot holding `packages`: cloud-init only checks them. */
  preinstalled?: boolean;
  /** apt (default), dnf or yum: which database the readiness check asks. */
  packageManager?: PackageManager;
  /** The host's package cache as the guest reaches it (config packageCache.url): the package manager's proxy. */
  packageCacheUrl?: string;
  sshPublicKey: string;
  libvirtUri: string;
  network: string;
  pool: string;
  poolPath: string;
  domainType: DomainType;
  sshPort: number;
  serialLog?: string;
}

export interface VmResources {
  overlay: OverlayInputs;
  seed: SeedInputs;
  domain: DomainInputs;
}

/** The three resources' inputs, in apply order (the domain uses the two volumes). */
export function planVmResources(c: VmStackConfig): VmResources {
  const names = vmNames(c.envId);
  const pool = { uri: c.libvirtUri, pool: c.pool, poolPath: c.poolPath };
  return {
    overlay: { ...pool, name: names.overlay, backingPath: c.disk, sizeGb: c.diskGb },
    seed: {
      ...pool,
      name: names.seed,
      files: seedFiles({ envId: c.envId, hostname: names.domain, user: c.user, sshPublicKey: c.sshPublicKey, packages: c.packages, ...(c.packageManager ? { packageManager: c.packageManager } : {}), ...(c.cloudInit ? { cloudInit: c.cloudInit } : {}), ...(c.preinstalled ? { preinstalled: true } : {}), ...(c.packageCacheUrl ? { proxyUrl: c.packageCacheUrl } : {}) }),
    },
    domain: {
      uri: c.libvirtUri,
      name: names.domain,
      type: c.domainType,
      cpus: c.cpus,
      memoryMb: c.memoryMb,
      pool: c.pool,
      overlay: names.overlay,
      seed: names.seed,
      network: c.network,
      ...(c.kernel === undefined ? {} : { kernel: c.kernel }),
      ...(c.initrd === undefined ? {} : { initrd: c.initrd }),
      ...(c.cmdline === undefined ? {} : { cmdline: c.cmdline }),
      ...(c.serialLog === undefined ? {} : { serialLog: c.serialLog }),
      metadata: { envId: c.envId, ticket: c.ticket, sshPort: c.sshPort, user: c.user, ...(c.instance === undefined ? {} : { instance: c.instance }) },
    },
  };
}
