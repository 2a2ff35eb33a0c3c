import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/domain/errors.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';

const VALID = `name: demo-12
description: demo image
distribution: debian
version: 12
family: debian
container:
  tag: repro/demo-12:latest
  base: debian:12
  bootstrap:
    suite: bookworm
`;

let dirs: string[] = [];

async function catalogDir(images: Record<string, { yaml: string; dockerfile?: boolean }>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'repro-catalog-'));
  dirs.push(dir);
  for (const [folder, { yaml, dockerfile = true }] of Object.entries(images)) {
    await mkdir(join(dir, folder));
    await writeFile(join(dir, folder, 'image.yaml'), yaml);
    if (dockerfile) await writeFile(join(dir, folder, 'Dockerfile'), 'FROM debian:12\n');
  }
  return dir;
}

async function loadError(dir: string): Promise<ConfigError> {
  const err = await loadCatalog(dir).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

describe('loadCatalog', () => {
  it('loads the repository catalog: debian-11 and debian-12 containers', async () => {
    const catalog = await loadCatalog(join(import.meta.dirname, '../../images'));
    const names = catalog.list().map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['debian-11', 'debian-12']));
    expect(catalog.get('debian-12')).toMatchObject({
      family: 'debian',
      version: '12',
      container: { tag: 'repro/debian-12:latest', base: 'debian:12', dockerfile: 'Dockerfile', bootstrap: { suite: 'bookworm' } },
    });
    expect(catalog.get('debian-11')?.container?.bootstrap?.suite).toBe('bullseye');
  });

  it('types a valid image, defaults the Dockerfile and skips folders without image.yaml', async () => {
    const dir = await catalogDir({ 'demo-12': { yaml: VALID } });
    await mkdir(join(dir, 'notes'));
    const catalog = await loadCatalog(dir);
    expect(catalog.list()).toHaveLength(1);
    const image = catalog.get('demo-12');
    expect(image).toEqual({
      name: 'demo-12',
      description: 'demo image',
      distribution: 'debian',
      version: '12',
      family: 'debian',
      container: { dockerfile: 'Dockerfile', tag: 'repro/demo-12:latest', base: 'debian:12', bootstrap: { suite: 'bookworm' } },
      dir: join(dir, 'demo-12'),
    });
    expect(catalog.get('nope')).toBeUndefined();
  });

  it('accepts optional VM settings', async () => {
    const vm = '\nvm:\n  disk: images/demo.qcow2\n  cpus: 2\n  memoryMb: 2048\n  diskGb: 10\n  user: repro\n';
    const catalog = await loadCatalog(await catalogDir({ 'demo-12': { yaml: VALID + vm } }));
    expect(catalog.get('demo-12')?.vm).toEqual({ disk: 'images/demo.qcow2', cpus: 2, memoryMb: 2048, diskGb: 10, user: 'repro' });
  });

  it.each([
    ['family: debian', 'family: arch', 'family: must be one of debian, rhel'],
    ['  base: debian:12\n', '', 'container.base: is required'],
    ['tag: repro/demo-12:latest', 'tag: "Not A Tag"', 'container.tag: must be a Docker image reference'],
    ['description: demo image\n', 'description: demo image\ncolour: blue\n', 'colour: is not a known setting'],
    ['name: demo-12', 'name: other-12', 'name: "other-12" must equal its folder name "demo-12"'],
  ])('names the file and the field: %s → %s', async (from, to, message) => {
    const dir = await catalogDir({ 'demo-12': { yaml: VALID.replace(from, to) } });
    const err = await loadError(dir);
    expect(err.message).toContain(join('demo-12', 'image.yaml'));
    expect(err.message).toContain(message);
  });

  it('rejects a missing Dockerfile, broken YAML and an empty directory', async () => {
    expect((await loadError(await catalogDir({ 'demo-12': { yaml: VALID, dockerfile: false } }))).message).toContain(
      'container.dockerfile',
    );
    expect((await loadError(await catalogDir({ 'demo-12': { yaml: 'name: [' } }))).message).toContain('not valid YAML');
    expect((await loadError(await catalogDir({}))).message).toContain('holds no <name>/image.yaml');
  });
});
