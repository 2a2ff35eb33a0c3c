import type { PackageFamily, PackageManager } from '../domain/packages.js';

/** The typed image catalog loaded from images/<name>/image.yaml (and admin changes kept in Redis). */

export interface ContainerImageSettings {
  /** Dockerfile relative to the image folder. */
  dockerfile: string;
  /** Floating tag moved to the latest successful build, e.g. `repro/debian-12:latest`; builds are also tagged by content hash. */
  tag: string;
  /** Base image the Dockerfile starts FROM, e.g. `debian:12`. */
  base: string;
  /** How to make `base` without a registry: debootstrap this suite from the family's mirror, or (rhel) `dnf --installroot` from `repository`. */
  bootstrap?: { suite: string; variant?: string; repository?: string; gpgKey?: string };
}

export interface VmImageSettings {
  /** Path (under the data dir) or absolute path of the base qcow2. */
  disk: string;
  /** Direct kernel boot for bootstrapped images; absent for cloud images that boot from disk. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  cpus: number;
  memoryMb: number;
  diskGb: number;
  user: string;
  /** The official cloud image `disk` is fetched from, and its checksum (`sha256:…` or a checksum list URL). */
  cloudImage?: { url: string; checksum: string };
  /** cloud-config merged into the seed. */
  cloudInit?: Record<string, unknown>;
}

export interface CatalogImage {
  name: string;
  description: string;
  distribution: string;
  version: string;
  family: PackageFamily;
  /** Absent: the family's default (apt for debian/ubuntu, dnf for rhel); centos-7 says yum. */
  packageManager?: PackageManager;
  /** Packages baked into the image on top of the family's support tools; absent means none. */
  packages?: string[];
  container?: ContainerImageSettings;
  vm?: VmImageSettings;
  /** Folder holding image.yaml. */
  dir: string;
}

export interface Catalog {
  list(): CatalogImage[];
  get(name: string): CatalogImage | undefined;
  /** Rereads definitions kept outside the files (the live catalog's Redis); absent for a fixed catalog. */
  refresh?(): Promise<void>;
}

export function packageManagerOf(image: Pick<CatalogImage, 'family' | 'packageManager'>): PackageManager {
  return image.packageManager ?? (image.family === 'rhel' ? 'dnf' : 'apt');
}

export function kindsOf(image: Pick<CatalogImage, 'container' | 'vm'>): Array<'container' | 'vm'> {
  return [...(image.container ? (['container'] as const) : []), ...(image.vm ? (['vm'] as const) : [])];
}
