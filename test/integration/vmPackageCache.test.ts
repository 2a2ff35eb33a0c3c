/**
 * A VM environment installs its packages through the host's package cache (apt-cacher-ng, started
 * by scripts/setup-cache), against the real libvirtd, qemu (TCG here) and the host firewall. A
 * container environment asks for the same package first, so the cache holds it: the VM's fetch
 * must then be served by the cache (an `O` line from the VM's own address) and never fetched from
 * the mirror again (no `I` line). One VM boot. Needs scripts/setup-libvirt and scripts/setup-network.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';
import { ensureIsolation } from '../../src/network/ensureIsolation.js';
import { isolationRules, packageCacheService } from '../../src/network/isolationRules.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { domainAddress } from '../../src/provisioners/libvirt/domains.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { testVmImage } from '../support/testVmImage.js';
import { vmDataDir } from '../support/vmDataDir.js';
import { cacheLogFrom, cacheLogOffset, type CacheLogLine } from '../support/packageCacheLog.js';

const URI = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';
const cacheUrl = loadConfig({ ...process.env }).packageCache.url;
const envId = `itcache${Date.now().toString(36)}`;
const containerEnvId = `test-${envId}-c`;
const pool = `repro-it-${envId}`;
const virsh = createVirsh(URI);
const ticket = { system: 'generic', id: 'T-vmcache' };
const hello = /\/hello_[^/]*\.deb$/;
let vm: LibvirtProvisioner;
let dataDir: string;

let vmLines: CacheLogLine[] = [];
let vmIp: string | undefined;

const containers = createDockerProvisioner({ hostId: 'test-host', ...(cacheUrl !== 'off' ? { packageCacheUrl: cacheUrl } : {}) });

beforeAll(async () => {
  if (cacheUrl === 'off') throw new Error('REPRO_PACKAGE_CACHE_URL=off: this test needs the package cache scripts/setup-cache starts');
  // What a worker does at start: the host's isolation rules, the package cache the one service let through.
  await ensureIsolation(isolationRules(packageCacheService(cacheUrl)));
  // The package in the cache (fetched now, or already there): the VM's fetch must be a hit.
  const image = (await loadCatalog(join(import.meta.dirname, '../../images'))).get('debian-12')!;
  await containers.create({ envId: containerEnvId, ticket, image, packages: ['hello'], limits: { cpus: 0.5, memoryMb: 256, pids: 128 } }, () => undefined);
  dataDir = await vmDataDir('it-vmcache-');
  vm = createLibvirtProvisioner({
    libvirt: { uri: URI, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' },
    dataDir,
    pool,
    packageCacheUrl: cacheUrl,
    readyTimeoutMs: 12 * 60_000,
  });
  const offset = await cacheLogOffset();
  await vm.create({ envId, ticket, image: testVmImage, packages: ['hello'], limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 } }, () => undefined);
  vmLines = await cacheLogFrom(offset);
  vmIp = await domainAddress(virsh, vmNames(envId).domain);
}, 15 * 60_000);

afterAll(async () => {
  await vm?.destroy(envId).catch(() => undefined);
  await vm?.close();
  await containers.destroy(containerEnvId).catch(() => undefined);
  await virsh.run(['pool-destroy', pool]).catch(() => undefined);
  await virsh.run(['pool-undefine', pool]).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('shared package cache, VM environments', () => {
  it('installed the package in the VM', async () => {
    const r = await vm.exec(envId, ['hello'], { timeoutMs: 60_000, maxOutputBytes: 4096 });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'Hello, world!\n' });
  });

  it('got the package from the cache, as the container had left it, not from the mirror again', () => {
    expect(vmIp).toMatch(/^10\.251\.0\.\d+$/);
    // Routed to the host's cache address through the VM network's gateway: the cache sees the VM's own address.
    expect(vmLines.some((l) => l.kind === 'O' && l.client === vmIp && hello.test(l.path))).toBe(true);
    expect(vmLines.filter((l) => l.kind === 'I' && hello.test(l.path))).toEqual([]);
    // The index refresh (apt-get update) went through it too.
    expect(vmLines.some((l) => l.kind === 'O' && l.client === vmIp && /InRelease$|Packages(\.\w+)?$/.test(l.path))).toBe(true);
  });

  it('leaves the proxy in the guest\'s apt configuration for later installs by hand', async () => {
    const r = await vm.exec(envId, ['apt-config', 'dump', 'Acquire::http::Proxy'], { timeoutMs: 60_000, maxOutputBytes: 4096 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(`Acquire::http::Proxy "${cacheUrl}";`);
  });
});
