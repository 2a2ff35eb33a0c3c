/** The typed image catalog loaded from images/<name>/image.yaml (and admin changes kept in Redis). */
import type { Static } from '@sinclair/typebox';
import type { PackageManager } from '../domain/packages.js';
import type { ContainerSettingsSchema, ImageDocument, VmSettingsSchema } from './imageSchema.js';

export type ContainerImageSettings = Static<typeof ContainerSettingsSchema>;
export type VmImageSettings = Static<typeof VmSettingsSchema>;

/** One image definition as the catalog holds it: the version always a string, and its folder. */
export type CatalogImage = Omit<ImageDocument, 'version'> & {
  version: string;
  /** Folder holding image.yaml. */
  dir: string;
};

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
