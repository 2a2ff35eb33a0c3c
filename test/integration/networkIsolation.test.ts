/**
 * What a container environment can reach, against the real Docker engine and the host firewall.
 * Probes go only to what this test creates: a listener on the host side of an environment's own
 * bridge, and another environment. The metadata address is checked by its rule, never probed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';
import { checkIsolation, ensureIsolation } from '../../src/network/ensureIsolation.js';
import { hookRule, isolationRules, packageCacheService, type ChainRules } from '../../src/network/isolationRules.js';
import { bridgeName, resourceName } from '../../src/provisioners/docker/containerOptions.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import type { ProvisionSpec } from '../../src/provisioners/port.js';
import { greeting, tcpGreeters } from '../support/tcpGreeter.js';

const exec = promisify(execFile);
// The host's rules: scripts/setup-network installs them with the configured package cache let through.
const packageCache = packageCacheService(loadConfig({ ...process.env }).packageCache.url);
const hostRules = isolationRules(packageCache);
const docker = new Docker();
const provisioner = createDockerProvisioner({ hostId: 'test-host' });
const run = randomBytes(3).toString('hex');
const created = new Set<string>();
const greeters = tcpGreeters();
let image: CatalogImage;

function spec(suffix: string, packages: string[] = []): ProvisionSpec {
  const envId = `test-${run}-${suffix}`;
  created.add(envId);
  return { envId, ticket: { system: 'generic', id: `T-${run}` }, image, packages, limits: { cpus: 0.5, memoryMb: 256, pids: 128 } };
}

async function gatewayOf(envId: string): Promise<string> {
  const info = await docker.getNetwork(resourceName(envId)).inspect();
  const gateway = (info.IPAM?.Config ?? [])[0]?.Gateway as string | undefined;
  if (!gateway) throw new Error(`network of ${envId} has no gateway`);
  return gateway;
}

async function addressOf(envId: string): Promise<string> {
  const name = resourceName(envId);
  const ip = (await docker.getContainer(name).inspect()).NetworkSettings.Networks[name]?.IPAddress;
  if (!ip) throw new Error(`${envId} has no address`);
  return ip;
}

/** Connects from inside the environment; exit 0 and the greeting only when the connection opened. */
function probeFrom(envId: string, host: string, port: number) {
  return provisioner.exec(envId, ['timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && head -n1 <&3`], {
    timeoutMs: 15_000,
    maxOutputBytes: 4096,
  });
}

/** Opens a host service on the gateway of `gatewayEnvId`'s network and probes it from environment a. */
async function probeHostService(gatewayEnvId: string) {
  const gateway = await gatewayOf(gatewayEnvId);
  const service = await greeters.listen(gateway);
  // Control: the service answers from the host, so a failure in the probe is the firewall's doing.
  expect(await greeting(gateway, service.port)).toBe('hello');
  return { service, probe: await probeFrom(a.envId, gateway, service.port) };
}

async function iptablesHas(family: 'iptables' | 'ip6tables', rule: string[]): Promise<boolean> {
  return exec(family, ['-w', '-t', 'mangle', '-C', ...rule]).then(
    () => true,
    () => false,
  );
}

let a: ProvisionSpec;
const progressA: string[] = [];
let b: ProvisionSpec;

beforeAll(async () => {
  image = (await loadCatalog(join(import.meta.dirname, '../../images'))).get('debian-12')!;
  // What a worker does at start (scripts/setup-network does the same).
  await ensureIsolation(hostRules);
  a = spec('a', ['hello']);
  b = spec('b');
  await provisioner.create(a, (line) => progressA.push(line));
  await provisioner.create(b, () => undefined);
}, 600_000);

afterAll(async () => {
  await greeters.closeAll();
  await Promise.allSettled([...created].map((id) => provisioner.destroy(id)));
});

describe('network reach of container environments', () => {
  it('has the isolation rules in place, the metadata address among them', async () => {
    expect(await checkIsolation(hostRules)).toEqual([]);
    expect(await iptablesHas('iptables', ['PREROUTING', '-i', 'rp-+', '-j', 'REPRO-ISOLATION'])).toBe(true);
    expect(await iptablesHas('iptables', ['REPRO-ISOLATION', '-d', '169.254.0.0/16', '-j', 'DROP'])).toBe(true);
    expect(await iptablesHas('iptables', ['FORWARD', '-i', 'rp-+', '-j', 'REPRO-ISOLATION-FWD'])).toBe(true);
    expect(await iptablesHas('iptables', ['REPRO-ISOLATION-FWD', '-o', 'rp-+', '-j', 'DROP'])).toBe(true);
    expect(await iptablesHas('ip6tables', ['PREROUTING', '-i', 'rp-+', '-j', 'REPRO-ISOLATION'])).toBe(true);
    if (packageCache) {
      const cacheRule = ['-d', `${packageCache.address}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(packageCache.port), '-j', 'RETURN'];
      expect(await iptablesHas('iptables', ['REPRO-ISOLATION', ...cacheRule])).toBe(true);
    }
  });

  it('finds missing and altered rules, and installs them once however often it runs', async () => {
    // A copy of the rule set under chain names of its own. A packet goes through every hooked
    // chain and a DROP in any of them wins, so adding or breaking the copy opens nothing.
    const copy: ChainRules[] = hostRules.map((c) => ({ ...c, chain: `${c.chain}-T${run}` }));
    const main = copy[0]!;
    const tool = (c: ChainRules) => (c.family === 'ipv4' ? 'iptables' : 'ip6tables');
    try {
      expect(await checkIsolation(copy)).toEqual(
        expect.arrayContaining([`iptables -t mangle: chain ${main.chain} is missing`, expect.stringContaining(`PREROUTING does not jump to ${main.chain}`)]),
      );
      await ensureIsolation(copy);
      await ensureIsolation(copy);
      expect(await checkIsolation(copy)).toEqual([]);
      const { stdout: prerouting } = await exec('iptables', ['-w', '-t', 'mangle', '-S', 'PREROUTING']);
      expect(prerouting.split('\n').filter((l) => l.includes(main.chain))).toHaveLength(1);

      await exec('iptables', ['-w', '-t', 'mangle', '-D', main.chain, '-d', '169.254.0.0/16', '-j', 'DROP']);
      expect(await checkIsolation(copy)).toEqual([`iptables -t mangle: chain ${main.chain} differs from the expected rules`]);
      await exec('iptables', ['-w', '-t', 'mangle', '-D', ...hookRule(main)]);
      expect(await checkIsolation(copy)).toHaveLength(2);
      await ensureIsolation(copy);
      expect(await checkIsolation(copy)).toEqual([]);
    } finally {
      for (const c of copy) {
        const unhook = () => exec(tool(c), ['-w', '-t', 'mangle', '-D', ...hookRule(c)]).then(() => true, () => false);
        while (await unhook()) continue;
        await exec(tool(c), ['-w', '-t', 'mangle', '-F', c.chain]).catch(() => undefined);
        await exec(tool(c), ['-w', '-t', 'mangle', '-X', c.chain]).catch(() => undefined);
      }
    }
  });

  it('puts each environment behind its own rp- bridge, which the rules match', async () => {
    for (const env of [a, b]) {
      const network = await docker.getNetwork(resourceName(env.envId)).inspect();
      expect(network.Options?.['com.docker.network.bridge.name']).toBe(bridgeName(env.envId));
      const { stdout } = await exec('ip', ['-o', 'link', 'show', 'dev', bridgeName(env.envId)]);
      expect(stdout).toContain(bridgeName(env.envId));
    }
    expect(bridgeName(a.envId)).toMatch(/^rp-[0-9a-f]{12}$/);
    expect(bridgeName(a.envId)).not.toBe(bridgeName(b.envId));
  });

  it('installs packages from the mirror', async () => {
    expect(progressA.some((l) => /Setting up hello/.test(l))).toBe(true);
    const hello = await provisioner.exec(a.envId, ['hello'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
    expect(hello).toMatchObject({ exitCode: 0, stdout: 'Hello, world!\n' });
  });

  it('cannot reach a host service on its own gateway', async () => {
    const { service, probe } = await probeHostService(a.envId);
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stdout).not.toContain('hello');
    expect(service.peers).not.toContain(await addressOf(a.envId));
  });

  it("cannot reach a host service through another environment's gateway", async () => {
    const { service, probe } = await probeHostService(b.envId);
    expect(probe.exitCode).not.toBe(0);
    expect(service.peers).not.toContain(await addressOf(a.envId));
  });

  it('cannot reach another environment', async () => {
    const bName = resourceName(b.envId);
    const bIp = await addressOf(b.envId);
    const listener = await docker.getContainer(bName).exec({
      Cmd: ['perl', '-MIO::Socket::INET', '-e', '$s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c "hello\\n"; close $c }'],
    });
    await listener.start({ Detach: true });
    let answer = '';
    for (let i = 0; i < 20 && answer === ''; i += 1) {
      answer = await greeting(bIp, 7000).catch(() => '');
      if (answer === '') await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer).toBe('hello');
    const probe = await probeFrom(a.envId, bIp, 7000);
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stdout).not.toContain('hello');
  });

  it('takes its bridge away on teardown', async () => {
    // An environment of its own: a and b serve the other tests.
    const doomed = spec('doomed');
    await provisioner.create(doomed, () => undefined);
    await provisioner.destroy(doomed.envId);
    await expect(exec('ip', ['-o', 'link', 'show', 'dev', bridgeName(doomed.envId)])).rejects.toThrow();
    expect((await provisioner.list()).filter((r) => r.envId === doomed.envId)).toEqual([]);
  });
});
