import type { Catalog, CatalogImage } from './catalog.js';
import type { DefinitionStore, StoredDefinition } from './definitionStore.js';
import type { BrokenDefinition } from './loadCatalog.js';
import { validateImageDocument } from './parseImage.js';

/** Where the serving definition of an image comes from, and its revision (files are revision 1). */
export interface DefinitionSource {
  source: 'file' | 'api';
  revision: number;
  updatedAt?: string;
  updatedBy?: string;
}

/**
 * The catalog the service serves: the valid image.yaml files, overridden by definitions admins
 * changed through the API (kept in Redis, so every process sees them after `refresh`).
 */
export interface LiveCatalog extends Catalog {
  /** Reads the API definitions again (one HGETALL); cheap enough to call per request. */
  refresh(): Promise<void>;
  /** Broken files, and stored definitions that no longer validate. */
  broken(): BrokenDefinition[];
  sourceOf(name: string): DefinitionSource | undefined;
  /** The definition as it came from its file, for images an admin may change. */
  fileImage(name: string): CatalogImage | undefined;
}

export function createLiveCatalog(files: CatalogImage[], fileProblems: BrokenDefinition[], store: DefinitionStore): LiveCatalog {
  const fromFiles = new Map(files.map((i) => [i.name, i]));
  let images = new Map(fromFiles);
  let sources = new Map<string, DefinitionSource>();
  let storedProblems: BrokenDefinition[] = [];

  function apply(stored: Map<string, StoredDefinition>): void {
    const nextImages = new Map(fromFiles);
    const nextSources = new Map<string, DefinitionSource>([...fromFiles.keys()].map((n) => [n, { source: 'file', revision: 1 }]));
    const problems: BrokenDefinition[] = [];
    for (const [name, def] of stored) {
      const file = fromFiles.get(name);
      if (!file) continue;
      try {
        nextImages.set(name, validateImageDocument(def.document, name, file.dir));
        nextSources.set(name, { source: 'api', revision: def.revision, updatedAt: def.updatedAt, updatedBy: def.updatedBy });
      } catch (err) {
        const field = (err as { field?: string }).field;
        problems.push({ file: `redis:${name}@${def.revision}`, message: (err as Error).message, ...(field ? { field } : {}) });
      }
    }
    images = nextImages;
    sources = nextSources;
    storedProblems = problems;
  }

  return {
    list: () => [...images.values()].sort((a, b) => a.name.localeCompare(b.name)),
    get: (name) => images.get(name),
    async refresh() {
      apply(await store.all());
    },
    broken: () => [...fileProblems, ...storedProblems],
    sourceOf: (name) => sources.get(name),
    fileImage: (name) => fromFiles.get(name),
  };
}
