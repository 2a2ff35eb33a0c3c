import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pack } from 'tar-stream';

/** One file of a build context, as it goes into the tar and into the content hash. */
export interface ContextFile {
  /** Path inside the context, `/`-separated. */
  path: string;
  mode: number;
  content: Buffer;
}

/** The folder of shared family tooling beside the image folders; every context carries it. */
export const FAMILIES_FOLDER = '_families';

/**
 * The build context of a catalog image: its folder (image.yaml left out: the definition is an
 * input of its own and may come from Redis) plus `_families/` from the catalog folder.
 */
export async function buildContext(imageDir: string): Promise<ContextFile[]> {
  const files = (await walk(imageDir)).filter((f) => f.path !== 'image.yaml');
  const families = join(dirname(imageDir), FAMILIES_FOLDER);
  const shared = await walk(families).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return [...files, ...shared.map((f) => ({ ...f, path: `${FAMILIES_FOLDER}/${f.path}` }))].sort((a, b) => a.path.localeCompare(b.path));
}

/** Whether `path` is a file or a folder of the context (for COPY sources). */
export function contextHas(files: ContextFile[], path: string): boolean {
  return files.some((f) => f.path === path || f.path.startsWith(`${path}/`));
}

/** sha256 over every path, mode and content, in path order. */
export function contextDigest(files: ContextFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.path}\0${f.mode.toString(8)}\0${f.content.length}\0`).update(f.content);
  return hash.digest('hex');
}

/** The context as the tar stream the engine's build endpoint takes. */
export function contextTar(files: ContextFile[]): NodeJS.ReadableStream {
  const tar = pack();
  for (const f of files) tar.entry({ name: f.path, mode: f.mode, mtime: new Date(0) }, f.content);
  tar.finalize();
  return tar as unknown as NodeJS.ReadableStream;
}

async function walk(root: string, dir = root): Promise<ContextFile[]> {
  const out: ContextFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(root, abs)));
    else if (entry.isFile()) {
      const [content, info] = await Promise.all([readFile(abs), stat(abs)]);
      // Only the executable bit matters to a build; umask differences must not change the hash.
      out.push({ path: relative(root, abs).split('\\').join('/'), mode: info.mode & 0o111 ? 0o755 : 0o644, content });
    }
  }
  return out;
}
