/** The typed image catalog loaded from images/<name>/image.yaml. */
export type PackageFamily = 'debian' | 'rhel';

export interface ContainerImageSettings {
  /** Dockerfile relative to the image folder. */
  dockerfile: string;
  /** Tag the catalog image is built as, e.g. `repro/debian-12:latest`. */
  tag: string;
  /** Base image the Dockerfile starts FROM, e.g. `debian:12`. */
  base: string;
  /** How to make `base` without a registry: debootstrap this suite from the configured mirror. */
  bootstrap?: { suite: string; variant?: string };
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
}

export interface CatalogImage {
  name: string;
  description: string;
  distribution: string;
  version: string;
  family: PackageFamily;
  container?: ContainerImageSettings;
  vm?: VmImageSettings;
  /** Folder holding image.yaml. */
  dir: string;
}

export interface Catalog {
  list(): CatalogImage[];
  get(name: string): CatalogImage | undefined;
}
