import { mkdtemp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pruneToBudget } from '../../src/provisioners/pruneToBudget.js';
import { domainXml, parseMetadata, metadataXml } from '../../src/provisioners/libvirt/domainXml.js';
import { envIdOfVolume, vmNames } from '../../src/provisioners/libvirt/names.js';
import { resolveEngine } from '../../src/provisioners/libvirt/resolveEngine.js';
import { READY_FILE, seedFiles } from '../../src/provisioners/libvirt/seedFiles.js';
import { progressLine } from '../../src/provisioners/libvirt/serialLogWatcher.js';
import { shellQuote } from '../../src/provisioners/libvirt/shellQuote.js';
import { isStale, listStackLocks, removeStaleLocks } from '../../src/provisioners/libvirt/stackLocks.js';

const base = {
  name: 'repro-e1',
  type: 'qemu' as const,
  cpus: 2,
  memoryMb: 1024,
  pool: 'repro',
  overlay: 'repro-e1-disk.qcow2',
  seed: 'repro-e1-seed.iso',
  network: 'default',
  metadata: { envId: 'e1', ticket: 'jira:<A&B>', sshPort: 40022, user: 'debian' },
};

describe('libvirt module, pure parts', () => {
  it('boots bootstrapped images by kernel and cloud images from disk', () => {
    const direct = domainXml({ ...base, kernel: '/k', initrd: '/i', cmdline: 'root=/dev/vda', serialLog: '/s.log' });
    expect(direct).toContain("<domain type='qemu'>");
    expect(direct).toContain('<kernel>/k</kernel><initrd>/i</initrd><cmdline>root=/dev/vda</cmdline>');
    expect(direct).toContain("<log file='/s.log' append='off'/>");
    expect(direct).not.toContain('host-passthrough');
    const disk = domainXml({ ...base, type: 'kvm' });
    expect(disk).toContain("<boot dev='hd'/>");
    expect(disk).toContain("<cpu mode='host-passthrough'/>");
  });

  it('round-trips our metadata, escaped', () => {
    expect(metadataXml(base.metadata)).toContain('jira:&lt;A&amp;B&gt;');
    expect(parseMetadata(domainXml(base))).toEqual(base.metadata);
    expect(parseMetadata('<metadata><other/></metadata>')).toBeUndefined();
  });

  it('names resources from the environment id alone', () => {
    const n = vmNames('e1');
    expect(n).toEqual({ domain: 'repro-e1', overlay: 'repro-e1-disk.qcow2', seed: 'repro-e1-seed.iso' });
    expect(envIdOfVolume(n.overlay)).toBe('e1');
    expect(envIdOfVolume(n.seed)).toBe('e1');
    expect(envIdOfVolume('debian.qcow2')).toBeUndefined();
  });

  it('quotes argv for the remote shell', () => {
    expect(shellQuote(['cat', '/etc/os-release'])).toBe('cat /etc/os-release');
    expect(shellQuote(['echo', "it's", '$(id)', ''])).toBe(`echo 'it'\\''s' '$(id)' ''`);
  });

  it('resolves auto to pulumi only when its CLI is installed', () => {
    expect(resolveEngine('auto', true)).toBe('pulumi');
    expect(resolveEngine('auto', false)).toBe('direct');
    expect(resolveEngine('direct', true)).toBe('direct');
    expect(resolveEngine('pulumi', false)).toBe('pulumi');
  });
});

describe('seed files: the host\'s package cache', () => {
  const cache = 'http://172.17.0.1:3142';
  const seed = { envId: 'env-3', hostname: 'h', user: 'repro', sshPublicKey: 'ssh-ed25519 AAAA', packages: ['git'] };
  const userData = (extra: object) => parse(seedFiles({ ...seed, ...extra })['user-data'] ?? '') as Record<string, unknown>;

  it('gives apt the cache as its HTTP proxy through cloud-init\'s apt module', () => {
    const u = userData({ proxyUrl: cache });
    expect(u.apt).toEqual({ preserve_sources_list: true, http_proxy: cache });
    expect(u).not.toHaveProperty('bootcmd');
  });

  it('sets proxy= in dnf.conf/yum.conf at boot for the rhel family, after the image\'s own bootcmd', () => {
    for (const packageManager of ['dnf', 'yum'] as const) {
      const u = userData({ proxyUrl: cache, packageManager, cloudInit: { bootcmd: [['echo', 'image']] } });
      expect(u.apt).toEqual({ preserve_sources_list: true });
      const bootcmd = u.bootcmd as string[][];
      expect(bootcmd[0]).toEqual(['echo', 'image']);
      // The URL is the script's argument, never part of the script.
      expect(bootcmd[1]).toEqual(['sh', '-c', expect.stringContaining('proxy=$1'), 'sh', cache]);
      expect(bootcmd[1]![2]).not.toContain(cache);
      expect(bootcmd).toHaveLength(2);
    }
  });

  it('keeps the proxy next to a snapshot clone\'s identity reset', () => {
    const u = userData({ proxyUrl: cache, packageManager: 'dnf', preinstalled: true });
    expect((u.bootcmd as string[][]).map((c) => c[0])).toEqual(['sh', 'cloud-init-per']);
  });

  it('configures no proxy when there is no cache', () => {
    for (const packageManager of ['apt', 'dnf', 'yum'] as const) {
      const u = userData({ packageManager });
      expect(u.apt).toEqual({ preserve_sources_list: true });
      expect(u).not.toHaveProperty('bootcmd');
      expect(seedFiles({ ...seed, packageManager })['user-data']).not.toMatch(/proxy/i);
    }
  });
});

describe('package-set snapshots, pure parts', () => {
  const seed = { envId: 'env-2', hostname: 'h', user: 'debian', sshPublicKey: 'ssh-ed25519 AAAA', packages: ['tree', 'bc'] };
  const userData = (extra: object) => parse(seedFiles({ ...seed, ...extra })['user-data'] ?? '') as Record<string, unknown>;

  it('a seed for a snapshot disk checks the packages without installing them, and clears the donor instance\'s keys and ready file', () => {
    const fresh = userData({});
    expect(fresh).toMatchObject({ package_update: true, packages: ['tree', 'bc'] });
    expect(fresh).not.toHaveProperty('bootcmd');
    const cloned = userData({ preinstalled: true, cloudInit: { bootcmd: [['echo', 'image']] } });
    expect(cloned.package_update).toBe(false);
    expect(cloned).not.toHaveProperty('packages');
    expect(JSON.stringify(cloned.runcmd)).toContain('dpkg-query -W tree bc');
    expect(cloned.bootcmd).toEqual([
      ['echo', 'image'],
      ['cloud-init-per', 'instance', 'repro-snapshot-identity', 'rm', '-f', '/home/debian/.ssh/authorized_keys', READY_FILE],
    ]);
  });

  it('prunes the least recently used first, skipping those in use or that could not be removed', async () => {
    const snaps = [
      { id: 'c', lastUsed: 3, ownBytes: 10 },
      { id: 'a', lastUsed: 1, ownBytes: 10 },
      { id: 'b', lastUsed: 2, ownBytes: 10 },
      { id: 'd', lastUsed: 4, ownBytes: 10 },
    ];
    const removed: string[] = [];
    const remove = async (s: { id: string }) => (s.id === 'b' ? false : (removed.push(s.id), true));
    await pruneToBudget(snaps, { maxCount: 2, maxBytes: 1000 }, (s) => s.id === 'a', remove);
    expect(removed).toEqual(['c', 'd']);
    removed.length = 0;
    await pruneToBudget(snaps, { maxCount: 10, maxBytes: 25 }, () => false, remove);
    expect(removed).toEqual(['a', 'c']);
  });
});

describe('Pulumi stack locks', () => {
  it('finds locks left by dead processes of this host and removes only those', async () => {
    const backend = await mkdtemp(join(tmpdir(), 'repro-locks-'));
    const dir = join(backend, '.pulumi', 'locks', 'organization', 'repro', 'env-1');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'dead.json'), JSON.stringify({ pid: 2 ** 22 + 7, hostname: hostname() }));
    await writeFile(join(dir, 'live.json'), JSON.stringify({ pid: process.pid, hostname: hostname() }));
    await writeFile(join(dir, 'elsewhere.json'), JSON.stringify({ pid: 2 ** 22 + 7, hostname: 'other-host' }));
    const locks = await listStackLocks(backend);
    expect(locks.map((l) => l.stack)).toEqual(['env-1', 'env-1', 'env-1']);
    expect(locks.filter((l) => isStale(l)).map((l) => l.file)).toEqual([join(dir, 'dead.json')]);
    expect(await removeStaleLocks(backend, 'env-1')).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['elsewhere.json', 'live.json']);
  });
});

describe('serial console progress', () => {
  it('keeps userspace lines and drops kernel chatter', () => {
    expect(progressLine('[    1.234567] virtio_blk virtio1: [vda] 8388608 512-byte logical blocks')).toBeUndefined();
    expect(progressLine('[  133.167845] cloud-init[291]: Cloud-init v. 22.4.2 running')).toBe('cloud-init[291]: Cloud-init v. 22.4.2 running');
    expect(progressLine("repro-e1 login: [  133.1] cloud-init[291]: Cloud-init v. 22.4.2 running 'modules:final'")).toBe(
      "cloud-init[291]: Cloud-init v. 22.4.2 running 'modules:final'",
    );
    expect(progressLine('Setting up hello (2.10-3) ...')).toBe('Setting up hello (2.10-3) ...');
    expect(progressLine('   ')).toBeUndefined();
  });
});
