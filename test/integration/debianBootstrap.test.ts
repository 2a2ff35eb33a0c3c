import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { mirrorsFrom } from '../../src/images/buildOptions.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { ensureBaseImage } from '../../src/images/ensureBaseImage.js';
import { execInContainer } from '../../src/provisioners/docker/execInContainer.js';

/**
 * A base from the package mirror for real: debootstrap of bookworm from the configured Debian
 * mirror, imported through the engine's API under a name of this run (the shared debian:12 stays
 * as it is). Takes a few minutes: debootstrap downloads and unpacks a minimal system.
 */
const docker = new Docker();
const run = randomBytes(3).toString('hex');
const base = `repro-test/boot-${run}:12`;

afterAll(async () => {
  await docker.getImage(base).remove({ force: true }).catch(() => undefined);
});

describe('bases from the Debian mirror', () => {
  it('debootstraps the suite and imports it as the base image, labelled with suite and mirror', async () => {
    const config = loadConfig();
    // debootstrap needs a filesystem that allows exec and device nodes: the data dir's, as builds use.
    const workDir = join(config.dataDir, 'tmp');
    await mkdir(workDir, { recursive: true });
    const image: CatalogImage = {
      name: 'boot-test', description: 'd', distribution: 'debian', version: '12', family: 'debian', dir: '/nonexistent',
      container: { dockerfile: 'Dockerfile', tag: `repro-test/boot-img-${run}:latest`, base, bootstrap: { suite: 'bookworm' } },
    };
    const lines: string[] = [];
    const made = await ensureBaseImage(image, { docker, mirrors: mirrorsFrom(config), workDir, log: (l) => lines.push(l) });
    expect(made.bootstrapped).toBe(true);
    expect(lines[0]!.startsWith(`[${base}] debootstrap --variant=minbase bookworm ${workDir}/bootstrap-bookworm-`)).toBe(true);
    expect(lines[0]!.endsWith(` ${config.debianMirror}`)).toBe(true);
    const info = await docker.getImage(base).inspect();
    expect(info.Id).toBe(made.id);
    expect(info.Config.Labels).toMatchObject({ 'io.repro.base.suite': 'bookworm', 'io.repro.base.mirror': config.debianMirror });
    // Not an environment: no io.repro.managed label, so no reconciler takes it for an orphan of its own.
    const container = await docker.createContainer({ Image: base, Cmd: ['sleep', '60'], Labels: { 'io.repro.test': `boot-${run}` } });
    try {
      await container.start();
      const version = await execInContainer(container, ['cat', '/etc/debian_version'], { timeoutMs: 10_000, maxOutputBytes: 1024 });
      expect(version.stdout.trim()).toMatch(/^12\./);
    } finally {
      await container.remove({ force: true });
    }
    // Present now: nothing to do the second time.
    expect(await ensureBaseImage(image, { docker, mirrors: mirrorsFrom(config), workDir, log: () => undefined })).toEqual({ id: made.id, bootstrapped: false });
  }, 900_000);
});
