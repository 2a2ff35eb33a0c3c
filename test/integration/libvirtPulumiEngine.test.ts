/**
 * The Pulumi engine (Automation API glue) against the real libvirtd: the same VM as the
 * direct-engine test, applied through the infra/ program. Needs the `pulumi` CLI on PATH,
 * which cannot be installed on our machines: without it this test is reported as skipped.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { inspectDomain } from '../../src/provisioners/libvirt/domains.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { onPath } from '../../src/provisioners/libvirt/resolveEngine.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { testVmImage } from '../support/testVmImage.js';
import { vmDataDir } from '../support/vmDataDir.js';

const URI = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';
const envId = `pu${Date.now().toString(36)}`;
const pool = `repro-it-${envId}`;
const virsh = createVirsh(URI);

describe('libvirt provisioner, pulumi engine (Automation API)', () => {
  let provisioner: LibvirtProvisioner | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    await provisioner?.destroy(envId).catch(() => undefined);
    await provisioner?.close();
    await virsh.run(['pool-destroy', pool]).catch(() => undefined);
    await virsh.run(['pool-undefine', pool]).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!onPath('pulumi'))('applies the infra program, reaches ready, runs a command, destroys and removes the stack', async () => {
    expect(existsSync(testVmImage.vm!.disk)).toBe(true);
    dataDir = await vmDataDir('it-pulumi-');
    const p = createLibvirtProvisioner({
      libvirt: { uri: URI, engine: 'pulumi', network: 'repro', sshHost: '127.0.0.1' },
      dataDir,
      pool,
    });
    provisioner = p;
    expect(p.engine).toBe('pulumi');
    const progress: string[] = [];
    const result = await p.create(
      { envId, ticket: { system: 'glpi', id: '4243' }, image: testVmImage, packages: [], limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 } },
      (line) => progress.push(line),
    );
    expect(result.engine).toBe('pulumi');
    const os = await p.exec(envId, ['cat', '/etc/os-release'], { timeoutMs: 30_000, maxOutputBytes: 65536 });
    expect(os.stdout).toContain('VERSION_CODENAME=bookworm');
    expect((await p.list()).some((r) => r.type === 'stack' && r.envId === envId)).toBe(true);

    await p.destroy(envId);
    expect(await inspectDomain(virsh, vmNames(envId).domain)).toBeUndefined();
    expect((await p.list()).filter((r) => r.envId === envId)).toEqual([]);
    const stacks = await readdir(join(dataDir, 'pulumi', '.pulumi', 'stacks'), { recursive: true }).catch(() => []);
    expect(stacks.filter((s) => String(s).includes(envId))).toEqual([]);
  }, 20 * 60_000);
});
