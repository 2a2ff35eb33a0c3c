import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ProviderError } from '../../src/domain/errors.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { LABELS, type ProvisionSpec } from '../../src/provisioners/port.js';

// Real engine, real catalog image: run `npx tsx scripts/build-images.ts debian-12` first (set-up does).
const docker = new Docker();
const provisioner = createDockerProvisioner({ hostId: 'test-host' });
const run = randomBytes(3).toString('hex');
const created = new Set<string>();
const limits = { cpus: 0.5, memoryMb: 256, pids: 128 };
let image: CatalogImage;

function spec(suffix: string, packages: string[] = []): ProvisionSpec {
  const envId = `test-${run}-${suffix}`;
  created.add(envId);
  return { envId, ticket: { system: 'generic', id: `T-${run}` }, image, packages, limits };
}

function ipOf(info: Docker.ContainerInspectInfo, network: string): string {
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new Error(`no address on ${network}`);
  return ip;
}

/** Resolves with the first line a TCP server sends, or rejects after timeoutMs. */
function readGreeting(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timed out'));
    }, timeoutMs);
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.end();
      resolve(data.toString().trim());
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

beforeAll(async () => {
  const catalog = await loadCatalog(join(import.meta.dirname, '../../images'));
  image = catalog.get('debian-12')!;
  await provisioner.ping();
});

afterAll(async () => {
  await Promise.allSettled([...created].map((id) => provisioner.destroy(id)));
});

describe('docker provisioner', () => {
  let withCurl: ProvisionSpec;
  const progress: string[] = [];

  beforeAll(async () => {
    withCurl = spec('curl', ['curl']);
    await provisioner.create(withCurl, (line) => progress.push(line));
  });

  it('installs the packages, streaming apt output, and answers exec', async () => {
    expect(progress).toContain('$ apt-get update -q');
    // curl ships with the image now (family support tools): apt then reports it instead of setting it up.
    expect(progress.some((l) => /Setting up curl|curl is already the newest version/.test(l))).toBe(true);
    const result = await provisioner.exec(withCurl.envId, ['curl', '--version'], { timeoutMs: 10_000, maxOutputBytes: 65536 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, truncated: false });
    expect(result.stdout).toMatch(/^curl \d/);
    expect(await provisioner.inspect(withCurl.envId)).toEqual({ running: true });
  });

  it('labels and hardens the container and its network', async () => {
    const name = `repro-${withCurl.envId}`;
    const labels = { [LABELS.managed]: 'true', [LABELS.environment]: withCurl.envId, [LABELS.ticket]: `generic:T-${run}` };
    const info = await docker.getContainer(name).inspect();
    expect(info.Config.Labels).toMatchObject(labels);
    expect(info.Config.Image).toBe('repro/debian-12:latest');
    const host = info.HostConfig;
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd?.slice().sort()).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID']);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.NanoCpus).toBe(0.5e9);
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.MemorySwap).toBe(256 * 1024 * 1024);
    expect(host.PidsLimit).toBe(128);
    expect(host.RestartPolicy?.Name).toBe('no');
    expect(host.NetworkMode).toBe(name);
    expect(info.Mounts).toEqual([]);
    expect(host.Binds ?? []).toEqual([]);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([name]);
    // Effective inside too: the bounding set has no CAP_SYS_ADMIN (bit 21) nor CAP_NET_RAW (bit 13).
    const status = await provisioner.exec(withCurl.envId, ['grep', '-E', '^(CapBnd|NoNewPrivs)', '/proc/self/status'], { timeoutMs: 5000, maxOutputBytes: 4096 });
    const bounding = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(status.stdout)?.[1]}`);
    expect(bounding & (1n << 21n)).toBe(0n);
    expect(bounding & (1n << 13n)).toBe(0n);
    expect(status.stdout).toMatch(/NoNewPrivs:\s*1/);

    const network = await docker.getNetwork(name).inspect();
    expect(network.Labels).toMatchObject(labels);
    expect(network.Driver).toBe('bridge');
    expect(network.Internal).toBe(false);
    expect(network.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
  });

  it('keeps environments apart: one cannot reach a listening port of another', async () => {
    const other = spec('other');
    await provisioner.create(other, () => undefined);
    const otherName = `repro-${other.envId}`;
    const otherIp = ipOf(await docker.getContainer(otherName).inspect(), otherName);
    const listen = await docker.getContainer(otherName).exec({
      Cmd: ['perl', '-MIO::Socket::INET', '-e', '$s = IO::Socket::INET->new(LocalPort => 7000, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { print $c "hello\\n"; close $c }'],
    });
    await listen.start({ Detach: true });
    // Control: the listener answers from the host, so a failure below is the isolation.
    let greeting = '';
    for (let i = 0; i < 20 && greeting === ''; i += 1) {
      greeting = await readGreeting(otherIp, 7000, 2000).catch(() => '');
      if (greeting === '') await new Promise((r) => setTimeout(r, 250));
    }
    expect(greeting).toBe('hello');

    const probe = await provisioner.exec(withCurl.envId, ['bash', '-c', `exec 3<>/dev/tcp/${otherIp}/7000 && head -n1 <&3`], {
      timeoutMs: 4000,
      maxOutputBytes: 4096,
    });
    expect(probe.exitCode).not.toBe(0);
    expect(probe.stdout).not.toContain('hello');
  });

  it('bounds exec output and time, and reports unknown environments', async () => {
    const big = await provisioner.exec(withCurl.envId, ['bash', '-c', 'head -c 200000 /dev/zero | tr "\\0" x; echo done >&2'], {
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(big).toMatchObject({ exitCode: 0, truncated: true, timedOut: false });
    expect(big.stdout.length + big.stderr.length).toBeLessThanOrEqual(1000);

    const split = await provisioner.exec(withCurl.envId, ['bash', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000, maxOutputBytes: 1000 });
    expect(split).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', truncated: false, timedOut: false });

    const started = Date.now();
    const slow = await provisioner.exec(withCurl.envId, ['sleep', '30'], { timeoutMs: 1000, maxOutputBytes: 1000 });
    expect(slow).toMatchObject({ exitCode: 124, timedOut: true });
    expect(Date.now() - started).toBeLessThan(8000);
    // The timed-out process was killed inside the container, not just abandoned.
    const ps = await provisioner.exec(withCurl.envId, ['ps', '-eo', 'args'], { timeoutMs: 5000, maxOutputBytes: 65536 });
    expect(ps.stdout).not.toContain('sleep 30');

    await expect(provisioner.exec(`test-${run}-missing`, ['true'], { timeoutMs: 1000, maxOutputBytes: 100 })).rejects.toBeInstanceOf(NotFoundError);
  });

  // The two tests below remove what they made: each makes its own, leaving withCurl to the others.
  it('lists its labelled container and network, and removes one resource', async () => {
    const listed = spec('listed');
    await provisioner.create(listed, () => undefined);
    const mine = (await provisioner.list()).filter((r) => r.envId === listed.envId);
    expect(mine.map((r) => r.type).sort()).toEqual(['container', 'network']);
    expect(mine.every((r) => r.ticket === `generic:T-${run}`)).toBe(true);
    const container = mine.find((r) => r.type === 'container')!;
    await provisioner.remove(container);
    await provisioner.remove(container);
    expect(await provisioner.inspect(listed.envId)).toEqual({ running: false });
  });

  it('destroys container and network, and destroying again succeeds', async () => {
    const doomed = spec('doomed');
    await provisioner.create(doomed, () => undefined);
    await provisioner.destroy(doomed.envId);
    expect(await provisioner.inspect(doomed.envId)).toBeUndefined();
    await expect(docker.getNetwork(`repro-${doomed.envId}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await provisioner.destroy(doomed.envId);
  });
});

describe('docker provisioner, failures and leftovers', () => {
  it('replaces the leftovers of an interrupted attempt', async () => {
    const leftover = spec('leftover');
    const name = `repro-${leftover.envId}`;
    // Only the network made it before the worker died.
    await docker.createNetwork({ Name: name, CheckDuplicate: true, Labels: { [LABELS.managed]: 'true', [LABELS.environment]: leftover.envId } });
    await provisioner.create(leftover, () => undefined);
    const first = await docker.getContainer(name).inspect();
    // Everything made it, then the job ran again.
    const lines: string[] = [];
    await provisioner.create(leftover, (line) => lines.push(line));
    const second = await docker.getContainer(name).inspect();
    expect(second.Id).not.toBe(first.Id);
    expect(lines).toContain('removing leftovers of an earlier attempt');
    expect((await provisioner.exec(leftover.envId, ['true'], { timeoutMs: 5000, maxOutputBytes: 100 })).exitCode).toBe(0);
    await provisioner.destroy(leftover.envId);
  });

  it('fails a package apt cannot find for good, with the tail of apt output', async () => {
    const bad = spec('badpkg', ['repro-no-such-package']);
    const err = await provisioner.create(bad, () => undefined).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).message).toContain('Unable to locate package repro-no-such-package');
    await provisioner.destroy(bad.envId);
  });

  it('reports an unreachable engine as retryable', async () => {
    const nowhere = createDockerProvisioner({ dockerHost: `unix:///tmp/repro-no-docker-${run}.sock` });
    await expect(nowhere.ping()).rejects.toMatchObject({ code: 'provider_error', retryable: true });
    await expect(nowhere.create(spec('nowhere'), () => undefined)).rejects.toMatchObject({ retryable: true });
  });
});
