import { access, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ConfigError, ReproError } from '../errors.js';
import type { Catalog, CatalogImage } from './catalog.js';
import { parseImage } from './parseImage.js';

/**
 * Reads every `<dir>/<name>/image.yaml` into the typed catalog. Folders without an image.yaml
 * are skipped; any invalid file stops the load with a ConfigError naming the file and field.
 */
export async function loadCatalog(imagesDir: string): Promise<Catalog> {
  const dir = resolve(imagesDir);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ConfigError(`images directory ${dir} cannot be read: ${(err as Error).message}`);
  }
  const images: CatalogImage[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
    const folder = join(dir, entry.name);
    const file = join(folder, 'image.yaml');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const image = parseOrExplain(text, entry.name, folder, file);
    if (image.container) await requireFile(join(folder, image.container.dockerfile), file);
    images.push(image);
  }
  if (images.length === 0) throw new ConfigError(`images directory ${dir} holds no <name>/image.yaml`);
  images.sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(images.map((image) => [image.name, image]));
  return { list: () => [...images], get: (name) => byName.get(name) };
}

function parseOrExplain(text: string, folderName: string, folder: string, file: string): CatalogImage {
  try {
    return parseImage(text, folderName, folder);
  } catch (err) {
    if (err instanceof ReproError) throw new ConfigError(`${displayPath(file)}: ${err.message}`);
    throw err;
  }
}

async function requireFile(path: string, file: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new ConfigError(`${displayPath(file)}: container.dockerfile: ${displayPath(path)} does not exist`);
  }
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
