import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArgs } from '../../src/images/buildArgs.js';
import { buildContext, contextDigest, contextHas } from '../../src/images/buildContext.js';
import { kindsOf, packageManagerOf } from '../../src/images/catalog.js';
import { checkDockerfile } from '../../src/images/checkDockerfile.js';
import { bootstrapCommand } from '../../src/images/ensureBaseImage.js';
import { readCatalog } from '../../src/images/loadCatalog.js';

const IMAGES = join(import.meta.dirname, '../../images');
const mirrors = { debian: 'http://deb.example/debian', debianSecurity: 'http://deb.example/debian-security', ubuntu: 'http://ubuntu.example/ubuntu', ubuntuSecurity: '' };
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

describe('the shipped catalog', () => {
  it('holds the eight images with their family and package manager, none broken', async () => {
    const { images, broken } = await readCatalog(IMAGES);
    expect(broken).toEqual([]);
    const summary = Object.fromEntries(images.map((i) => [i.name, `${i.family}/${packageManagerOf(i)}/${i.container?.base}`]));
    expect(summary).toEqual({
      'centos-7': 'rhel/yum/centos:7',
      'centos-stream-9': 'rhel/dnf/quay.io/centos/centos:stream9',
      'debian-11': 'debian/apt/debian:11',
      'debian-12': 'debian/apt/debian:12',
      'rocky-9': 'rhel/dnf/rockylinux:9',
      'ubuntu-20.04': 'ubuntu/apt/ubuntu:20.04',
      'ubuntu-22.04': 'ubuntu/apt/ubuntu:22.04',
      'ubuntu-24.04': 'ubuntu/apt/ubuntu:24.04',
    });
    expect(kindsOf(images.find((i) => i.name === 'debian-12')!)).toEqual(['container', 'vm']);
  });

  it.each(['centos-7', 'centos-stream-9', 'rocky-9', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04', 'debian-11', 'debian-12'])(
    '%s: its Dockerfile parses, starts FROM its base, copies only what the context has and runs its family scripts',
    async (name) => {
      const { images } = await readCatalog(IMAGES);
      const image = images.find((i) => i.name === name)!;
      const text = await readFile(join(image.dir, image.container!.dockerfile), 'utf8');
      const files = await buildContext(image.dir);
      expect(checkDockerfile(text, image.container!.base, (p) => contextHas(files, p))).toEqual([]);
      // The support tools are written once per family and only used here.
      expect(text).toContain(`/usr/local/lib/repro/families/${image.family}/prepare`);
      expect(text).toContain(`/usr/local/lib/repro/families/${image.family}/install $REPRO_PACKAGES`);
      expect(text).not.toMatch(/strace|sudo/);
      const script = files.find((f) => f.path === `_families/${image.family}/prepare`);
      expect(script?.mode).toBe(0o755);
    },
  );

  it('hashes the context: any change to a Dockerfile or to shared family tooling changes the digest', async () => {
    const { images } = await readCatalog(IMAGES);
    const files = await buildContext(images.find((i) => i.name === 'debian-12')!.dir);
    const digest = contextDigest(files);
    expect(files.map((f) => f.path)).not.toContain('image.yaml');
    const changed = files.map((f) => (f.path === '_families/debian/apt.sh' ? { ...f, content: Buffer.concat([f.content, Buffer.from('\n')]) } : f));
    expect(contextDigest(changed)).not.toBe(digest);
    expect(contextDigest(files.map((f) => ({ ...f })))).toBe(digest);
  });
});

describe('family build settings', () => {
  it('passes each family its mirrors and the default packages as its manager takes them', () => {
    expect(buildArgs({ family: 'debian', packages: ['curl', 'nginx=1.22.1-9'] }, mirrors)).toEqual({
      DEBIAN_MIRROR: mirrors.debian, DEBIAN_SECURITY_MIRROR: mirrors.debianSecurity, REPRO_PACKAGES: 'curl nginx=1.22.1-9',
    });
    expect(buildArgs({ family: 'ubuntu' }, mirrors)).toEqual({ UBUNTU_MIRROR: mirrors.ubuntu, UBUNTU_SECURITY_MIRROR: '', REPRO_PACKAGES: '' });
    expect(buildArgs({ family: 'rhel', packages: ['nginx=1.20.1', 'git'] }, mirrors)).toEqual({ REPRO_PACKAGES: 'nginx-1.20.1 git' });
  });

  it('debootstraps Debian and Ubuntu bases from their own mirror; installs rhel bases with dnf --installroot from the configured repository', () => {
    expect(bootstrapCommand({ family: 'debian', name: 'debian-12' }, { suite: 'bookworm' }, '/t', mirrors)).toEqual(['debootstrap', '--variant=minbase', 'bookworm', '/t', mirrors.debian]);
    expect(bootstrapCommand({ family: 'ubuntu', name: 'ubuntu-24.04' }, { suite: 'noble' }, '/t', mirrors)).toEqual([
      'debootstrap', '--variant=minbase', '--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg', '--components=main,universe', 'noble', '/t', mirrors.ubuntu,
    ]);
    expect(() => bootstrapCommand({ family: 'rhel', name: 'rocky-9' }, { suite: '9' }, '/t', mirrors)).toThrow(/container.bootstrap.repository is needed/);
    const repo = 'http://mirror.example/rocky/9/BaseOS/x86_64/os/';
    const common = ['dnf', '-y', '--installroot=/t', '--releasever=9', '--setopt=reposdir=/nonexistent', `--repofrompath=bootstrap,${repo}`, '--repo=bootstrap'];
    const install = ['--setopt=install_weak_deps=False', '--setopt=tsflags=nodocs', 'install', 'bash', 'coreutils', 'dnf', 'rootfiles'];
    expect(bootstrapCommand({ family: 'rhel', name: 'rocky-9' }, { suite: '9', repository: repo, gpgKey: 'file:///etc/pki/rocky.key' }, '/t', mirrors)).toEqual([
      ...common, '--setopt=bootstrap.gpgcheck=1', '--setopt=bootstrap.gpgkey=file:///etc/pki/rocky.key', ...install,
    ]);
    expect(bootstrapCommand({ family: 'rhel', name: 'rocky-9' }, { suite: '9', repository: repo }, '/t', mirrors)).toEqual([...common, '--nogpgcheck', ...install]);
  });
});

describe('broken definitions', () => {
  async function catalogWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'repro-families-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return dir;
  }
  const yaml = (name: string, extra = '') =>
    `name: ${name}\ndescription: d\ndistribution: x\nversion: 1\nfamily: debian\n${extra}container:\n  tag: repro/${name}:latest\n  base: debian:12\n`;

  it('are reported with file and field while the valid ones load', async () => {
    const dir = await catalogWith({
      'good/image.yaml': yaml('good'), 'good/Dockerfile': 'FROM debian:12\n',
      'badpkg/image.yaml': yaml('badpkg', 'packages: ["Bad Name"]\n'), 'badpkg/Dockerfile': 'FROM debian:12\n',
      'badpm/image.yaml': yaml('badpm', 'packageManager: dnf\n'), 'badpm/Dockerfile': 'FROM debian:12\n',
      'baddocker/image.yaml': yaml('baddocker'), 'baddocker/Dockerfile': 'FROM debian:12\nRUNN true\nCOPY missing /x\n',
      'badfrom/image.yaml': yaml('badfrom'), 'badfrom/Dockerfile': 'FROM ubuntu:22.04\n',
      '_families/debian/prepare': '#!/bin/sh\n',
    });
    const { images, broken } = await readCatalog(dir);
    expect(images.map((i) => i.name)).toEqual(['good']);
    const byFile = Object.fromEntries(broken.map((b) => [b.file.replace(`${dir}/`, ''), b]));
    expect(byFile['badpkg/image.yaml']).toMatchObject({ field: 'packages[0]', message: expect.stringMatching(/"Bad Name" is not a valid debian package/) });
    expect(byFile['badpm/image.yaml']).toMatchObject({ field: 'packageManager', message: expect.stringMatching(/dnf does not fit the debian family/) });
    expect(byFile['baddocker/image.yaml']).toMatchObject({ field: 'container.dockerfile', message: expect.stringMatching(/line 2: Unknown instruction: RUNN.*line 3: COPY source missing is not in the build context/) });
    expect(byFile['badfrom/image.yaml']).toMatchObject({ field: 'container.dockerfile', message: expect.stringMatching(/FROM ubuntu:22.04 is not the image's base debian:12/) });
    expect(broken).toHaveLength(4);
  });
});

describe('VM readiness check per family', () => {
  it('asks dpkg on apt images and rpm on dnf/yum images', async () => {
    const { seedFiles } = await import('../../src/provisioners/libvirt/seedFiles.js');
    const base = { envId: 'env-1', hostname: 'h', user: 'u', sshPublicKey: 'ssh-ed25519 AAAA', packages: ['nginx=1.22.1-9', 'curl'] };
    expect(seedFiles(base)['user-data']).toContain('dpkg-query -W nginx curl');
    const rpm = seedFiles({ ...base, packages: ['nginx-1.20.1', 'curl'], packageManager: 'dnf' })['user-data'];
    expect(rpm).toContain('rpm -q nginx-1.20.1 curl');
    expect(rpm).not.toContain('dpkg-query');
  });
});

describe('VM settings of the cloud images', () => {
  it('name each distribution\'s official cloud image and its checksum list', async () => {
    const { images } = await readCatalog(IMAGES);
    const clouds = Object.fromEntries(images.filter((i) => i.vm?.cloudImage).map((i) => [i.name, new URL(i.vm!.cloudImage!.url).hostname]));
    expect(clouds).toEqual({
      'centos-7': 'cloud.centos.org', 'centos-stream-9': 'cloud.centos.org', 'rocky-9': 'dl.rockylinux.org',
      'ubuntu-20.04': 'cloud-images.ubuntu.com', 'ubuntu-22.04': 'cloud-images.ubuntu.com', 'ubuntu-24.04': 'cloud-images.ubuntu.com',
    });
  });

  it('merge cloud-init additions into the seed, refusing keys repro writes', async () => {
    const { seedFiles } = await import('../../src/provisioners/libvirt/seedFiles.js');
    const { images } = await readCatalog(IMAGES);
    const centos = images.find((i) => i.name === 'centos-7')!;
    const seed = seedFiles({ envId: 'env-1', hostname: 'h', user: 'repro', sshPublicKey: 'ssh-ed25519 AAAA', packages: ['git'], packageManager: 'yum', cloudInit: centos.vm!.cloudInit! })['user-data'];
    expect(seed).toContain('bootcmd:');
    expect(seed).toContain('vault.centos.org/7.9.2009');
    expect(seed).toContain('rpm -q git');
    const { validateImageDocument } = await import('../../src/images/parseImage.js');
    const { dir: _dir, ...doc } = centos;
    expect(() => validateImageDocument({ ...doc, vm: { ...doc.vm, cloudInit: { runcmd: [['reboot']] } } }, 'centos-7', centos.dir)).toThrow(/vm.cloudInit.runcmd: repro writes this key itself/);
  });
});
