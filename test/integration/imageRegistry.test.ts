import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/images/buildImage.js';
import type { BuildOptions } from '../../src/images/buildOptions.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { imageId } from '../../src/images/ensureBaseImage.js';
import { readCatalog } from '../../src/images/loadCatalog.js';
import { pushImage, registryRef } from '../../src/images/registry.js';
import { startLocalRegistry, type LocalRegistry } from '../support/localRegistry.js';

/**
 * Bases from a registry and builds shared through it, against a real registry on loopback: our
 * debootstrapped Debian base is pushed there under a name this engine lacks, and the build gets
 * it through the registry setting.
 */
const docker = new Docker();
const run = randomBytes(3).toString('hex');
const base = `repro-test/base-${run}:12`;
const repository = `repro-test/reg-${run}`;
const dir = mkdtempSync(join(tmpdir(), 'repro-registry-test-'));
let registry: LocalRegistry;
let image: CatalogImage;
const lines: string[] = [];
const mirrors = { debian: 'http://deb.debian.org/debian', debianSecurity: '', ubuntu: 'http://archive.ubuntu.com/ubuntu', ubuntuSecurity: '' };
const options = (withRegistry: boolean): BuildOptions => ({
  docker, mirrors, workDir: dir, log: (l) => lines.push(l), ...(withRegistry ? { registry: { url: registry.url } } : {}),
});

async function localTags(): Promise<string[]> {
  return (await docker.listImages({ filters: { reference: [`${repository}:*`, base] } })).flatMap((i) => i.RepoTags ?? []);
}

beforeAll(async () => {
  registry = await startLocalRegistry();
  const folder = join(dir, 'images', 'reg-test');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'Dockerfile'), `FROM ${base}\nRUN echo built > /built\nCMD ["sleep", "infinity"]\n`);
  writeFileSync(join(folder, 'image.yaml'), [
    'name: reg-test', 'description: base from a registry', 'distribution: debian', 'version: "12"', 'family: debian',
    'container:', `  tag: ${repository}:latest`, `  base: ${base}`, '',
  ].join('\n'));
  const report = await readCatalog(join(dir, 'images'));
  expect(report.broken).toEqual([]);
  image = report.images[0]!;
  // Our bootstrapped base, published on the registry under a path this engine has no image for.
  await pushImage(docker, 'debian:12', registryRef(base, registry.url), { url: registry.url }, () => undefined);
});

afterAll(async () => {
  for (const tag of await localTags()) await docker.getImage(tag).remove({ noprune: true }).catch(() => undefined);
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('images from a registry', () => {
  it('names images on a registry by their path, official ones under library/', () => {
    expect(registryRef('debian:12', 'mirror.example:5000')).toBe('mirror.example:5000/library/debian:12');
    expect(registryRef('quay.io/centos/centos:stream9', 'mirror.example')).toBe('mirror.example/centos/centos:stream9');
    expect(registryRef('rockylinux:9', 'mirror.example')).toBe('mirror.example/library/rockylinux:9');
    expect(registryRef('repro/debian-12:abc', 'r:5000')).toBe('r:5000/repro/debian-12:abc');
  });

  it('without a registry, a missing base with no bootstrap recipe is refused with what to configure', async () => {
    await expect(buildImage(image, options(false))).rejects.toThrow(/base image .* is missing, no registry is configured \(images.registry\)/);
  });

  it('pulls the missing base through the registry setting, builds, and pushes the build for other hosts', async () => {
    const built = await buildImage(image, options(true));
    expect(built).toMatchObject({ cached: false, tag: expect.stringMatching(new RegExp(`^${repository}:[0-9a-f]{20}$`)) });
    expect(lines).toContain(`[${base}] pulling ${registry.url}/${base}`);
    expect(await imageId(docker, base)).toBe(await imageId(docker, 'debian:12'));
    const hash = built.tag.split(':')[1];
    const tagsOnRegistry = await fetch(`http://${registry.url}/v2/${repository}/tags/list`).then((r) => r.json() as Promise<{ tags: string[] }>);
    expect(tagsOnRegistry.tags).toEqual([hash]);
    // Another host: no local build, the registry has it; pulled, not rebuilt.
    await docker.getImage(built.tag).remove({ noprune: true });
    await docker.getImage(`${repository}:latest`).remove({ noprune: true });
    lines.length = 0;
    const other = await buildImage(image, options(true));
    expect(other).toMatchObject({ cached: true, tag: built.tag, digest: built.digest, pulledFrom: `${registry.url}/${built.tag}` });
    expect(lines.join('\n')).not.toMatch(/Step \d/);
    expect(lines).toContain(`${built.tag} pulled from ${registry.url}/${built.tag}: built by another host, nothing to build`);
  });
});

describe('a registry that needs credentials', () => {
  const username = 'repro-puller';
  const password = `pw-${randomBytes(8).toString('hex')}`;
  let secured: LocalRegistry;
  const securedBase = `repro-test/sbase-${run}:12`;
  const folder = join(dir, 'secured', 'sec-test');
  let securedImage: CatalogImage;

  beforeAll(async () => {
    secured = await startLocalRegistry({ username, password });
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'Dockerfile'), `FROM ${securedBase}\nCMD ["sleep", "infinity"]\n`);
    writeFileSync(join(folder, 'image.yaml'), [
      'name: sec-test', 'description: base from a registry with credentials', 'distribution: debian', 'version: "12"', 'family: debian',
      'container:', `  tag: ${repository}-sec:latest`, `  base: ${securedBase}`, '',
    ].join('\n'));
    securedImage = (await readCatalog(join(dir, 'secured'))).images[0]!;
    await pushImage(docker, 'debian:12', registryRef(securedBase, secured.url), { url: secured.url, username, password }, () => undefined);
  });

  afterAll(async () => {
    const tags = (await docker.listImages({ filters: { reference: [`${repository}-sec:*`, securedBase] } })).flatMap((i) => i.RepoTags ?? []);
    for (const tag of tags) await docker.getImage(tag).remove({ noprune: true }).catch(() => undefined);
    await secured?.stop();
  });

  it('refuses a pull without the credentials, and pulls with them without the password reaching the log', async () => {
    const log: string[] = [];
    const attempt = (registry: { url: string; username?: string; password?: string }) =>
      buildImage(securedImage, { docker, mirrors, workDir: dir, log: (l) => log.push(l), registry });
    await expect(attempt({ url: secured.url })).rejects.toThrow(/no basic auth credentials|unauthorized|authentication required/i);
    const built = await attempt({ url: secured.url, username, password });
    expect(built.cached).toBe(false);
    expect(await imageId(docker, securedBase)).toBe(await imageId(docker, 'debian:12'));
    expect(log.join('\n')).not.toContain(password);
  });
});
