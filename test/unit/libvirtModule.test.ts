import { mkdtemp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { domainXml, parseMetadata, metadataXml } from '../../src/provisioners/libvirt/domainXml.js';
import { envIdOfVolume, vmNames } from '../../src/provisioners/libvirt/names.js';
import { resolveEngine } from '../../src/provisioners/libvirt/resolveEngine.js';
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
