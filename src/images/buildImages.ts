import type { CatalogImage } from './catalog.js';
import type { BuildOptions } from './buildOptions.js';
import { buildCatalogImage } from './buildCatalogImage.js';
import { ensureBaseImage } from './ensureBaseImage.js';

export interface BuildReport {
  name: string;
  tag: string;
  base: 'present' | 'bootstrapped';
  seconds: number;
}

/**
 * Builds the container side of the given catalog images, one after the other (debootstrap and
 * dpkg are disk- and CPU-bound): base image first when missing, then the catalog image.
 */
export async function buildImages(images: CatalogImage[], opts: BuildOptions): Promise<BuildReport[]> {
  const reports: BuildReport[] = [];
  for (const image of images) {
    if (!image.container) {
      opts.log(`[${image.name}] no container settings, skipped`);
      continue;
    }
    const started = Date.now();
    const base = await ensureBaseImage(image.container, opts);
    if (base === 'present') opts.log(`[${image.name}] base ${image.container.base} present`);
    await buildCatalogImage(image, opts);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    opts.log(`[${image.name}] built ${image.container.tag} in ${seconds} s`);
    reports.push({ name: image.name, tag: image.container.tag, base, seconds });
  }
  return reports;
}
