import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ConfigError, ReproError, ValidationError } from '../domain/errors.js';
import { buildContext, contextHas } from './buildContext.js';
import type { Catalog, CatalogImage } from './catalog.js';
import { checkDockerfile } from './checkDockerfile.js';
import { parseImage } from './parseImage.js';

/** A definition that could not be loaded: which file, which field, why. */
export interface BrokenDefinition {
  file: string;
  field?: string;
  message: string;
}

export interface CatalogReport {
  images: CatalogImage[];
  broken: BrokenDefinition[];
}

/** Folders under images/ that hold shared material rather than an image (e.g. `_families`). */
const SHARED_FOLDER = /^[._]/;

/**
 * Reads every `<dir>/<name>/image.yaml`: the valid ones, sorted by name, and the broken ones with
 * file and field, so a service can start with what is valid. Folders without an image.yaml are skipped.
 */
export async function readCatalog(imagesDir: string): Promise<CatalogReport> {
  const dir = resolve(imagesDir);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new ConfigError(`images directory ${dir} cannot be read: ${(err as Error).message}`);
  }
  const images: CatalogImage[] = [];
  const broken: BrokenDefinition[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !SHARED_FOLDER.test(e.name))) {
    const folder = join(dir, entry.name);
    const file = join(folder, 'image.yaml');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const image = parseImage(text, entry.name, folder);
      await checkImageFiles(image);
      images.push(image);
    } catch (err) {
      if (!(err instanceof ReproError)) throw err;
      broken.push({ file: displayPath(file), message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
  }
  if (images.length === 0 && broken.length === 0) throw new ConfigError(`images directory ${dir} holds no <name>/image.yaml`);
  images.sort((a, b) => a.name.localeCompare(b.name));
  return { images, broken };
}

/** The strict form for scripts and tests: any broken definition stops the load with file and field. */
export async function loadCatalog(imagesDir: string): Promise<Catalog> {
  const { images, broken } = await readCatalog(imagesDir);
  const first = broken[0];
  if (first) throw new ConfigError(`${first.file}: ${first.message}`);
  return staticCatalog(images);
}

export function staticCatalog(images: CatalogImage[]): Catalog {
  const byName = new Map(images.map((image) => [image.name, image]));
  return { list: () => [...images], get: (name) => byName.get(name) };
}

/** The Dockerfile exists and would pass `docker build`'s own checks, against the real build context. */
export async function checkImageFiles(image: CatalogImage): Promise<void> {
  const settings = image.container;
  if (!settings) return;
  const folder = image.dir;
  const path = join(folder, settings.dockerfile);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) throw new ValidationError(`container.dockerfile: ${displayPath(path)} does not exist`, 'container.dockerfile');
  const files = await buildContext(folder);
  const problems = checkDockerfile(text, settings.base, (p) => contextHas(files, p));
  if (problems.length > 0) {
    throw new ValidationError(`container.dockerfile: ${displayPath(path)} ${problems.join('; ')}`, 'container.dockerfile');
  }
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
