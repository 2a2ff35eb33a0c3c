import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.js';
import { buildImage, type BuiltImage } from '../../src/images/buildImage.js';
import { mirrorsFrom } from '../../src/images/buildOptions.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { readCatalog } from '../../src/images/loadCatalog.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import type { ProvisionSpec } from '../../src/provisioners/port.js';
import { makeRpmRepository } from '../support/rpmRepository.js';

/**
 * The rhel family's install path for real, without a CentOS/Rocky base (no registry here): an
 * image of family rhel built by our builder from the Debian base with Debian's dnf and rpm, and
 * a repository of RPMs this test builds. The repository is served over HTTP on the environment's
 * own loopback (127.0.0.1 inside its network namespace) by the image's main process, so dnf
 * fetches through a real HTTP repository while no traffic leaves the environment.
 */
const docker = new Docker();
const provisioner = createDockerProvisioner({ hostId: 'test-host' });
const run = randomBytes(3).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'repro-rhel-'));
const envIds: string[] = [];
let image: CatalogImage;
let built: BuiltImage;

const DOCKERFILE = `FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q && apt-get install -y -q --no-install-recommends dnf rpm python3 && apt-get clean
COPY repo/ /srv/repo/
RUN mkdir -p /etc/yum.repos.d && printf '[repro-test]\\nname=repro test\\nbaseurl=http://127.0.0.1:8080/\\ngpgcheck=0\\nenabled=1\\n' > /etc/yum.repos.d/repro-test.repo
CMD ["python3", "-m", "http.server", "8080", "--bind", "127.0.0.1", "--directory", "/srv/repo"]
`;

function spec(suffix: string, packages: string[]): ProvisionSpec {
  const envId = `test-${run}-${suffix}`;
  envIds.push(envId);
  return { envId, ticket: { system: 'generic', id: `T-${run}` }, image, imageTag: built.tag, packages, limits: { cpus: 1, memoryMb: 512, pids: 256 } };
}

beforeAll(async () => {
  const catalogDir = join(dir, 'images');
  const folder = join(catalogDir, 'rhel-test');
  mkdirSync(folder, { recursive: true });
  const repo = makeRpmRepository(dir, [
    { name: 'repro-hello', version: '1.2', release: '3' },
    { name: 'repro-hello', version: '1.3', release: '1' },
    { name: 'repro-tools', version: '0.9', release: '1' },
  ]);
  cpSync(repo, join(folder, 'repo'), { recursive: true });
  writeFileSync(join(folder, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(folder, 'image.yaml'), [
    'name: rhel-test', 'description: rhel family on the Debian base with Debian\'s dnf', 'distribution: test', 'version: "1"',
    'family: rhel', 'packageManager: dnf', 'container:', `  tag: repro-test/rhel-${run}:latest`, '  base: debian:12', '',
  ].join('\n'));
  const report = await readCatalog(catalogDir);
  expect(report.broken).toEqual([]);
  image = report.images[0]!;
  built = await buildImage(image, { docker, mirrors: mirrorsFrom({ debianMirror: 'http://deb.debian.org/debian', ubuntuMirror: 'http://archive.ubuntu.com/ubuntu' }), workDir: dir, log: () => undefined });
});

afterAll(async () => {
  await Promise.allSettled(envIds.map((id) => provisioner.destroy(id)));
  for (const tag of [built?.tag, `repro-test/rhel-${run}:latest`]) {
    if (tag) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('rhel family: dnf and rpm', () => {
  it('installs RPMs from the repository with dnf, pinned or not, and records the versions rpm reports', async () => {
    const lines: string[] = [];
    const result = await provisioner.create(spec('dnf', ['repro-hello-1.2', 'repro-tools']), (l) => lines.push(l));
    expect(result.installed).toEqual({ 'repro-hello': '1.2-3', 'repro-tools': '0.9-1' });
    expect(lines).toContain('$ dnf install -y --setopt=install_weak_deps=False repro-hello-1.2 repro-tools');
    const rpm = await provisioner.exec(envIds[0]!, ['rpm', '-q', 'repro-hello', 'repro-tools'], { timeoutMs: 30_000, maxOutputBytes: 4096 });
    expect(rpm.exitCode).toBe(0);
    expect(rpm.stdout).toContain('repro-hello-1.2-3.noarch');
    const file = await provisioner.exec(envIds[0]!, ['cat', '/usr/share/repro-hello/version'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
    expect(file.stdout.trim()).toBe('1.2');
  });

  it('installs the newest without a version, and takes name=version as name-version', async () => {
    const newest = await provisioner.create(spec('new', ['repro-hello']), () => undefined);
    expect(newest.installed).toEqual({ 'repro-hello': '1.3-1' });
    const pinned = await provisioner.create(spec('eq', ['repro-hello=1.2']), () => undefined);
    expect(pinned.installed).toEqual({ 'repro-hello': '1.2-3' });
  });

  it('fails without retry when the repository has no such package', async () => {
    const err = await provisioner.create(spec('missing', ['repro-absent']), () => undefined).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/repro-absent/);
  });
});
