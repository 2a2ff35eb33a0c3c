/**
 * The libvirt module and the direct engine against the real libvirtd and qemu (TCG here):
 * one VM, from request to ready to gone. Needs scripts/setup-libvirt (daemons, network,
 * test image). Boots one VM at a time: CI machines have two cores.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { defineAndStart, inspectDomain } from '../../src/provisioners/libvirt/domains.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { probeDomainType } from '../../src/provisioners/libvirt/probeDomainType.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { testVmImage } from '../support/testVmImage.js';
import { listVolumes } from '../../src/provisioners/libvirt/volumes.js';
import { startHarness } from '../support/harness.js';
import { vmDataDir } from '../support/vmDataDir.js';

const URI = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';
const envId = `it${Date.now().toString(36)}`;
const virsh = createVirsh(URI);
// Each define/start/create may make libvirt probe qemu again (seconds; a minute on a loaded host).
const LIBVIRT_CALLS_MS = 600_000;

describe('libvirt provisioner, direct engine (real libvirtd + qemu)', () => {
  let provisioner: LibvirtProvisioner;
  let dataDir: string;
  const progress: string[] = [];

  beforeAll(async () => {
    dataDir = await vmDataDir('it-libvirt-');
    provisioner = createLibvirtProvisioner({
      libvirt: { uri: URI, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' },
      dataDir,
      pool: `repro-it-${envId}`,
      readyTimeoutMs: 12 * 60_000,
    });
  });

  afterAll(async () => {
    await provisioner?.destroy(envId).catch(() => undefined);
    await provisioner?.close();
    await virsh.run(['pool-destroy', `repro-it-${envId}`]).catch(() => undefined);
    await virsh.run(['pool-undefine', `repro-it-${envId}`]).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('has the test image (scripts/setup-libvirt builds it)', () => {
    expect(existsSync(testVmImage.vm!.disk)).toBe(true);
  });

  it('picks a domain type qemu can really start here, and leaves no probe domain behind', async () => {
    // Other processes of the run may probe at the same time: follow this probe's own domain.
    const probed: string[] = [];
    const type = await probeDomainType({
      uri: virsh.uri,
      async run(args, opts) {
        if (args[0] === 'create') probed.push(/<name>([^<]+)<\/name>/.exec(await readFile(args[1]!, 'utf8'))![1]!);
        return virsh.run(args, opts);
      },
    });
    const dir = await mkdtemp(join(dataDir, 'probe-'));
    const name = `repro-it-start-${envId}`;
    await writeFile(join(dir, 'd.xml'), `<domain type='${type}'><name>${name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`);
    await virsh.run(['create', join(dir, 'd.xml')]);
    await virsh.run(['destroy', name]);
    const domains = (await virsh.run(['list', '--all', '--name'])).split('\n');
    for (const probe of probed) expect(domains).not.toContain(probe);
  }, LIBVIRT_CALLS_MS);

  it('leaves no domain defined when its start fails', async () => {
    const spec = {
      name: `repro-it-nostart-${envId}`, type: 'qemu' as const, cpus: 1, memoryMb: 64, pool: `repro-it-missing-${envId}`,
      overlay: 'missing.qcow2', seed: 'missing.iso', network: 'repro',
      metadata: { envId: `nostart-${envId}`, ticket: 'glpi:1', user: 'debian', sshPort: 1 },
    };
    await expect(defineAndStart(virsh, spec)).rejects.toThrow(/start failed/);
    expect(await virsh.run(['list', '--all', '--name'])).not.toContain(spec.name);
  }, LIBVIRT_CALLS_MS);

  it('answers /readyz from a connection check, not from capability probing', async () => {
    const h = await startHarness({ provisioners: { vm: provisioner } });
    try {
      const res = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.json()).toMatchObject({ status: 'ok', checks: { vm: 'ok', redis: 'ok' } });
      expect(res.statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('creates a VM that becomes ready, runs a command over SSH and leaves no trace', async () => {
    const t0 = Date.now();
    const result = await provisioner.create(
      {
        envId,
        ticket: { system: 'glpi', id: '4242' },
        image: testVmImage,
        packages: [],
        limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 },
      },
      (line) => progress.push(line),
    );
    const readyMs = Date.now() - t0;
    console.log(`VM ${envId} request→ready: ${(readyMs / 1000).toFixed(1)}s; ${progress.length} progress lines, last:\n${progress.slice(-8).join('\n')}`);
    expect(result.engine).toBe('direct');
    expect(result.access).toMatchObject({ name: vmNames(envId).domain, host: '127.0.0.1', user: 'debian' });
    expect(result.access.command).toBe(`ssh -p ${result.access.port} debian@127.0.0.1`);
    expect(result.access.privateKey).toContain('OPENSSH PRIVATE KEY');
    expect(progress.some((l) => /cloud-init/i.test(l))).toBe(true);

    expect(await provisioner.inspect(envId)).toEqual({ running: true });
    const os = await provisioner.exec(envId, ['cat', '/etc/os-release'], { timeoutMs: 30_000, maxOutputBytes: 65536 });
    expect(os.exitCode).toBe(0);
    expect(os.stdout).toContain('VERSION_CODENAME=bookworm');

    const quoted = await provisioner.exec(envId, ['printf', '%s|', "it's", 'a b', '$HOME'], { timeoutMs: 30_000, maxOutputBytes: 65536 });
    expect(quoted.stdout).toBe("it's|a b|$HOME|");
    const bounded = await provisioner.exec(envId, ['head', '-c', '100000', '/dev/zero'], { timeoutMs: 30_000, maxOutputBytes: 1024 });
    expect(bounded.truncated).toBe(true);
    expect(bounded.stdout.length).toBe(1024);
    const slow = await provisioner.exec(envId, ['sleep', '30'], { timeoutMs: 1500, maxOutputBytes: 1024 });
    expect(slow.timedOut).toBe(true);

    const listed = await provisioner.list();
    const ours = listed.filter((r) => r.envId === envId);
    expect(ours).toEqual(
      expect.arrayContaining([
        { type: 'domain', id: vmNames(envId).domain, envId, ticket: 'glpi:4242' },
        { type: 'volume', id: vmNames(envId).overlay, envId },
        { type: 'volume', id: vmNames(envId).seed, envId },
      ]),
    );

    await provisioner.destroy(envId);
    expect(await inspectDomain(virsh, vmNames(envId).domain)).toBeUndefined();
    const volumes = await listVolumes(virsh, `repro-it-${envId}`);
    expect(volumes).not.toContain(vmNames(envId).overlay);
    expect(volumes).not.toContain(vmNames(envId).seed);
    expect(await provisioner.inspect(envId)).toBeUndefined();
    expect((await provisioner.list()).filter((r) => r.envId === envId)).toEqual([]);
    // Idempotent: destroying what is gone is success.
    await provisioner.destroy(envId);
  }, 15 * 60_000);
});
