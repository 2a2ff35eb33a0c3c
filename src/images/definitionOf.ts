import type { CatalogImage } from './catalog.js';

/** The image.yaml document of a catalog image: everything but where its folder is. */
export function definitionOf(image: CatalogImage): Record<string, unknown> {
  const { dir: _dir, ...document } = image;
  return document;
}
