import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An images dir holding a copy of the catalog's debian-12 (and the family tooling it builds
 * with), tagged under `repository` so a test's builds never touch the shared image, with `step`
 * (a Dockerfile line) added before its CMD. Returns the dir; the caller removes it.
 */
export async function copyDebianImage(prefix: string, repository: string, step: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const images = join(import.meta.dirname, '../../images');
  await cp(join(images, '_families'), join(dir, '_families'), { recursive: true });
  await cp(join(images, 'debian-12'), join(dir, 'debian-12'), { recursive: true });
  const yaml = await readFile(join(dir, 'debian-12', 'image.yaml'), 'utf8');
  await writeFile(join(dir, 'debian-12', 'image.yaml'), yaml.replace('tag: repro/debian-12:latest', `tag: ${repository}:latest`));
  const dockerfile = join(dir, 'debian-12', 'Dockerfile');
  await writeFile(dockerfile, (await readFile(dockerfile, 'utf8')).replace('CMD ["sleep"', `${step}\nCMD ["sleep"`));
  return dir;
}
