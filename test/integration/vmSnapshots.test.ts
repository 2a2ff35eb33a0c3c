/**
 * VM package-set snapshots against the real libvirtd and qemu (TCG here), direct engine. Two
 * boots, one VM at a time: the first installs and keeps its overlay as a snapshot (miss), the
 * second asks the same packages in another order and starts from it (hit) with its own
 * identity. Pruning never removes the snapshot the live VM is backed by; a new base retires it
 * once no VM uses it. The guests reach the Debian mirror through the `repro` network's NAT.
 */
import { execFile } from 'node:child_process';
import { copyFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionResult, ProvisionSpec } from '../../src/provisioners/port.js';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { domainAddress } from '../../src/provisioners/libvirt/domains.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { sshExec } from '../../src/provisioners/libvirt/sshExec.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { createVmSnapshots } from '../../src/provisioners/libvirt/vmSnapshots.js';
import { testVmImage } from '../support/testVmImage.js';
import { vmDataDir } from '../support/vmDataDir.js';

const run = promisify(execFile);
const URI = process.env['REPRO_LIBVIRT_URI'] ?? 'qemu:///system';
const virsh = createVirsh(URI);
const tag = Date.now().toString(36);
const pool = `repro-it-snap-${tag}`;
const first = `snapa${tag}`;
const second = `snapb${tag}`;
const base = testVmImage.vm!.disk;
const EXEC = { timeoutMs: 30_000, maxOutputBytes: 65536 };
const BOOT_MS = 15 * 60_000;

describe('VM package-set snapshots (real libvirtd + qemu)', () => {
  let dataDir: string;
  let provisioner: LibvirtProvisioner;
  const budget = { maxCount: 5, maxBytes: 50 * 1024 ** 3 };
  const snapshotsIn = (b = budget) => createVmSnapshots({ dir: join(dataDir, 'vm-snapshots'), poolPath: join(dataDir, 'libvirt-pool'), budget: b, claimGraceMs: 0 });
  const spec = (envId: string, packages: string[]): ProvisionSpec => ({
    envId,
    ticket: { system: 'glpi', id: '11' },
    image: testVmImage,
    packages,
    limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 },
  });
  const create = async (envId: string, packages: string[]) => {
    const progress: string[] = [];
    const t0 = Date.now();
    const result = await provisioner.create(spec(envId, packages), (l) => progress.push(l));
    console.log(`VM ${envId} [${packages.join(' ')}] request→ready: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { result, progress };
  };
  const shell = async (envId: string, script: string) => {
    const r = await provisioner.exec(envId, ['sh', '-c', script], EXEC);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  let firstResult: ProvisionResult;
  let firstMachineId: string;

  beforeAll(async () => {
    dataDir = await vmDataDir('it-vmsnap-');
    provisioner = createLibvirtProvisioner({
      libvirt: { uri: URI, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' },
      dataDir,
      pool,
      readyTimeoutMs: 12 * 60_000,
      snapshots: budget,
      snapshotClaimGraceMs: 0,
    });
  });

  afterAll(async () => {
    for (const envId of [first, second]) await provisioner?.destroy(envId).catch(() => undefined);
    await provisioner?.close();
    await virsh.run(['pool-destroy', pool]).catch(() => undefined);
    await virsh.run(['pool-undefine', pool]).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('installs on a miss and keeps the ready VM\'s overlay as a snapshot, the VM running on', async () => {
    const { result, progress } = await create(first, ['tree', 'bc']);
    firstResult = result;
    expect(result.snapshot).toBeUndefined();
    expect(Object.keys(result.installed ?? {}).sort()).toEqual(['bc', 'tree']);
    expect(progress).toContainEqual(expect.stringMatching(/^kept package-set snapshot [0-9a-f]{12}$/));
    const [kept] = await snapshotsIn().list();
    expect(kept).toMatchObject({ from: first, base, packages: ['bc', 'tree'], installed: result.installed });
    // The test image's disk path is absolute already (test/support/testVmImage.ts).
    expect(result.imageRef).toEqual({ tag: base, digest: kept!.baseId });
    // A consistent qcow2 whose backing file is the image's base disk.
    const info = JSON.parse((await run('qemu-img', ['info', '-U', '--output=json', kept!.disk])).stdout) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(base);
    await run('qemu-img', ['check', '-U', kept!.disk]);
    // The VM went on after the copy, with its machine-id back.
    firstMachineId = await shell(first, 'cat /etc/machine-id');
    expect(firstMachineId).toMatch(/^[0-9a-f]{32}$/);
    expect(await shell(first, 'tree --version')).toContain('tree');
    // One VM at a time: CI machines have two cores.
    await provisioner.destroy(first);
  }, BOOT_MS);

  it('misses for another package set or another base build', async () => {
    const s = snapshotsIn();
    expect((await s.lookup(base, 'debian', ['tree'])).hit).toBeUndefined();
    expect((await s.lookup(base, 'debian', ['tree', 'bc=1.07.1-3'])).hit).toBeUndefined();
    // A rebuilt base disk is another file (or the same one rewritten): another identity, another key.
    const rebuilt = join(dataDir, 'rebuilt.qcow2');
    await copyFile(base, rebuilt);
    expect((await s.lookup(rebuilt, 'debian', ['bc', 'tree'])).hit).toBeUndefined();
    await rm(rebuilt);
  });

  it('starts a VM asking the same packages in another order from the snapshot, with its own identity', async () => {
    const { result, progress } = await create(second, ['bc', 'tree']);
    const [kept] = await snapshotsIn().list();
    expect(result.snapshot).toBe(kept!.key);
    expect(result.installed).toEqual(firstResult.installed);
    expect(progress).toContainEqual(`starting from package-set snapshot ${kept!.key.slice(0, 12)} of ${base}`);
    // Backed by the snapshot, not the base.
    const overlay = join(dataDir, 'libvirt-pool', vmNames(second).overlay);
    const info = JSON.parse((await run('qemu-img', ['info', '-U', '--output=json', overlay])).stdout) as Record<string, unknown>;
    expect(info['backing-filename']).toBe(kept!.disk);
    expect(await shell(second, 'tree --version; command -v bc')).toContain('/usr/bin/bc');
    // cloud-init ran this instance's per-instance config: hostname, machine-id, keys.
    expect(await shell(second, 'hostname')).toBe(vmNames(second).domain);
    expect(await shell(second, 'cat /var/lib/cloud/data/instance-id')).toBe(second);
    const machineId = await shell(second, 'cat /etc/machine-id');
    expect(machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(machineId).not.toBe(firstMachineId);
    expect(await shell(second, 'wc -l < ~/.ssh/authorized_keys')).toBe('1');
    // The donor VM's key does not open this one.
    const ip = await domainAddress(virsh, vmNames(second).domain);
    await expect(sshExec({ host: ip!, port: 22, user: 'debian', privateKey: firstResult.access.privateKey! }, ['true'], EXEC)).rejects.toThrow(/authentication/i);
  }, BOOT_MS);

  it('never prunes the snapshot a live VM is backed by; prunes unused ones by age; retires it on a new base once unused', async () => {
    const [kept] = await snapshotsIn().list();
    // An older unused snapshot of another package set (a small overlay of the base).
    const dir = join(dataDir, 'vm-snapshots');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', join(dir, 'old.qcow2')]);
    await writeFile(join(dir, 'old.json'), JSON.stringify({ ...kept, key: 'old', packages: ['hello'], from: 'gone' }));
    const long = new Date(Date.now() - 3600_000);
    await utimes(join(dir, 'old.json'), long, long);

    const none = { maxCount: 0, maxBytes: 0 };
    expect(await snapshotsIn(none).prune()).toEqual(['old']);
    expect((await stat(kept!.disk)).isFile()).toBe(true);
    expect(await snapshotsIn(none).prune({ base, baseId: 'another build' })).toEqual([]);
    expect(await shell(second, 'tree --version')).toContain('tree');

    await provisioner.destroy(second);
    expect(await snapshotsIn().prune({ base, baseId: kept!.baseId })).toEqual([]);
    expect(await snapshotsIn().prune({ base, baseId: 'another build' })).toEqual([kept!.key]);
    expect(await snapshotsIn().list()).toEqual([]);
    await expect(stat(kept!.disk)).rejects.toThrow(/ENOENT/);
  }, BOOT_MS);
});
