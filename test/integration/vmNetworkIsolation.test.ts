/**
 * What a VM environment can reach, against the real libvirtd, qemu (TCG here) and the host
 * firewall. One VM only (TCG boots are slow): it probes a listener the test opens on the host
 * side of the VM network, and a container environment the test creates. VM-to-VM on the shared
 * network is checked by the guest port's isolation flag and nwfilter binding rather than with a
 * second VM. Needs scripts/setup-libvirt (the `repro` network) and scripts/setup-network.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError } from '../../src/domain/errors.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';
import { ensureIsolation } from '../../src/network/ensureIsolation.js';
import { isolationRules, packageCacheService } from '../../src/network/isolationRules.js';
import { ensureNetworkIsolation } from '../../src/app/ensureNetworkIsolation.js';
import { resourceName } from '../../src/provisioners/docker/containerOptions.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { testVmImage } from '../support/testVmImage.js';
import { greeting, tcpGreeters } from '../support/tcpGreeter.js';
import Docker from 'dockerode';
import { pino } from 'pino';
import { vmDataDir } from '../support/vmDataDir.js';

const exec = promisify(execFile);
const URI = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';
const NETWORK = 'repro';
const envId = `itnet${Date.now().toString(36)}`;
const containerEnvId = `test-${envId}-c`;
const virsh = createVirsh(URI);
const docker = new Docker();
const containers = createDockerProvisioner({ hostId: 'test-host' });
const greeters = tcpGreeters();
const silent = pino({ level: 'silent' });
let vm: LibvirtProvisioner;
let dataDir: string;

function probeFromVm(host: string, port: number) {
  return vm.exec(envId, ['timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && head -n1 <&3`], { timeoutMs: 60_000, maxOutputBytes: 4096 });
}

beforeAll(async () => {
  // The host's rules, the configured package cache let through, as scripts/setup-network installs them.
  await ensureIsolation(isolationRules(packageCacheService(loadConfig({ ...process.env }).packageCache.url)));
  dataDir = await vmDataDir('it-vmnet-');
  vm = createLibvirtProvisioner({
    libvirt: { uri: URI, engine: 'direct', network: NETWORK, sshHost: '127.0.0.1' },
    dataDir,
    pool: `repro-it-${envId}`,
    readyTimeoutMs: 12 * 60_000,
  });
  const image = (await loadCatalog(join(import.meta.dirname, '../../images'))).get('debian-12')!;
  const limits = { cpus: 0.5, memoryMb: 256, pids: 128 };
  await containers.create({ envId: containerEnvId, ticket: { system: 'generic', id: 'T-vmnet' }, image, packages: [], limits }, () => undefined);
  await vm.create(
    { envId, ticket: { system: 'generic', id: 'T-vmnet' }, image: testVmImage, packages: ['hello'], limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 } },
    () => undefined,
  );
}, 15 * 60_000);

afterAll(async () => {
  await greeters.closeAll();
  await vm?.destroy(envId).catch(() => undefined);
  await vm?.close();
  await containers.destroy(containerEnvId).catch(() => undefined);
  await virsh.run(['pool-destroy', `repro-it-${envId}`]).catch(() => undefined);
  await virsh.run(['pool-undefine', `repro-it-${envId}`]).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('network reach of VM environments', () => {
  it('got its address and packages through the isolated network (DHCP, DNS, the mirror)', async () => {
    const hello = await vm.exec(envId, ['hello'], { timeoutMs: 60_000, maxOutputBytes: 4096 });
    expect(hello).toMatchObject({ exitCode: 0, stdout: 'Hello, world!\n' });
    // No package cache given to this provisioner: apt went to the mirror itself, no proxy configured.
    const proxy = await vm.exec(envId, ['apt-config', 'dump', 'Acquire::http::Proxy'], { timeoutMs: 60_000, maxOutputBytes: 4096 });
    expect(proxy).toMatchObject({ exitCode: 0, stdout: '' });
  });

  it('cannot reach a host service on the VM network gateway', async () => {
    const gateway = /<ip address='([\d.]+)'/.exec(await virsh.run(['net-dumpxml', NETWORK]))?.[1];
    expect(gateway).toBeTruthy();
    const { port, peers } = await greeters.listen(gateway!);
    // Control: the service answers from the host, so a failure below is the firewall's doing.
    expect(await greeting(gateway!, port)).toBe('hello');
    const probe = await probeFromVm(gateway!, port);
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stdout).not.toContain('hello');
    expect(peers.every((p) => p === gateway)).toBe(true);
  });

  it('cannot reach another environment', async () => {
    const name = resourceName(containerEnvId);
    const ip = (await docker.getContainer(name).inspect()).NetworkSettings.Networks[name]?.IPAddress;
    expect(ip).toBeTruthy();
    const listener = await docker.getContainer(name).exec({
      Cmd: ['perl', '-MIO::Socket::INET', '-e', '$s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c "hello\\n"; close $c }'],
    });
    await listener.start({ Detach: true });
    let answer = '';
    for (let i = 0; i < 20 && answer === ''; i += 1) {
      answer = await greeting(ip!, 7000).catch(() => '');
      if (answer === '') await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer).toBe('hello');
    const probe = await probeFromVm(ip!, 7000);
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stdout).not.toContain('hello');
  });

  it('sits on an isolated, anti-spoofing port of an rp-vm bridge (other VMs: checked, not probed)', async () => {
    expect(/^Bridge:\s*(\S+)/m.exec(await virsh.run(['net-info', NETWORK]))?.[1]).toMatch(/^rp-vm/);
    const iflist = await virsh.run(['domiflist', vmNames(envId).domain]);
    const vnet = /^\s*(\S+)\s+network\s+repro\b/m.exec(iflist)?.[1];
    expect(vnet).toBeTruthy();
    const { stdout: link } = await exec('bridge', ['-d', 'link', 'show', 'dev', vnet!]);
    expect(link).toMatch(/isolated on/);
    expect(await virsh.run(['nwfilter-binding-list'])).toMatch(new RegExp(`${vnet}\\s+clean-traffic`));
  });

  it('a worker refuses to start when VMs would use a network the rules do not cover', async () => {
    const covered = loadConfig({ REPRO_KINDS: 'vm', REPRO_LIBVIRT_NETWORK: NETWORK });
    await expect(ensureNetworkIsolation(covered, silent)).resolves.toBeUndefined();
    // A network like libvirt's `default` (virbr0), defined but never started: nothing joins it.
    const other = `repro-it-${envId}`;
    const dir = await mkdtemp(join(dataDir, 'net-'));
    await writeFile(join(dir, 'net.xml'), `<network><name>${other}</name><bridge name='it${envId.slice(-8)}'/></network>`);
    await virsh.run(['net-define', join(dir, 'net.xml')]);
    try {
      const uncovered = loadConfig({ REPRO_KINDS: 'vm', REPRO_LIBVIRT_NETWORK: other });
      const err = await ensureNetworkIsolation(uncovered, silent).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`libvirt.network: network ${other} uses bridge it${envId.slice(-8)}`);
    } finally {
      await virsh.run(['net-undefine', other]);
    }
  });
});
