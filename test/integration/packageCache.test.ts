import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';
import { ensureIsolation } from '../../src/network/ensureIsolation.js';
import { isolationRules, packageCacheService } from '../../src/network/isolationRules.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { resourceName } from '../../src/provisioners/docker/containerOptions.js';
import type { ProvisionSpec } from '../../src/provisioners/port.js';
import { cacheLogFrom, cacheLogOffset, type CacheLogLine } from '../support/packageCacheLog.js';

const cacheUrl = loadConfig({ ...process.env }).packageCache.url;
const docker = new Docker();
// No snapshots: the second environment must install afresh, through the cache.
const provisioner = createDockerProvisioner({ hostId: 'test-host', ...(cacheUrl !== 'off' ? { packageCacheUrl: cacheUrl } : {}) });
const run = randomBytes(3).toString('hex');
const created: string[] = [];
let image: CatalogImage;

function spec(suffix: string, packages: string[]): ProvisionSpec {
  const envId = `test-${run}-${suffix}`;
  created.push(envId);
  return { envId, ticket: { system: 'generic', id: `T-${run}` }, image, packages, limits: { cpus: 0.5, memoryMb: 256, pids: 128 } };
}

async function addressOf(envId: string): Promise<string> {
  const info = await docker.getContainer(resourceName(envId)).inspect();
  return info.NetworkSettings.Networks[resourceName(envId)]!.IPAddress;
}

beforeAll(async () => {
  if (cacheUrl === 'off') throw new Error('REPRO_PACKAGE_CACHE_URL=off: this test needs the package cache scripts/setup-cache starts');
  image = (await loadCatalog(join(import.meta.dirname, '../../images'))).get('debian-12')!;
  // What a worker does at start: the host's isolation rules, the package cache the one service let through.
  await ensureIsolation(isolationRules(packageCacheService(cacheUrl)));
  await provisioner.ping();
});

afterAll(async () => {
  await Promise.allSettled(created.map((id) => provisioner.destroy(id)));
});

/** Creates an environment with `packages`; returns it with the cache log lines written meanwhile and its address. */
async function createLogged(suffix: string, packages: string[]): Promise<{ env: ProvisionSpec; lines: CacheLogLine[]; ip: string }> {
  const offset = await cacheLogOffset();
  const env = spec(suffix, packages);
  await provisioner.create(env, () => undefined);
  return { env, lines: await cacheLogFrom(offset), ip: await addressOf(env.envId) };
}

describe('shared package cache', () => {
  it('serves a package to a second, fresh environment without fetching it from the mirror again', async () => {
    const hello = /\/hello_[^/]*\.deb$/;
    const { lines: firstLines, ip: firstIp } = await createLogged('first', ['hello']);
    // The first environment got it through the cache (fetched now, or already cached by someone else).
    expect(firstLines.some((l) => l.kind === 'O' && l.client === firstIp && hello.test(l.path))).toBe(true);

    const { env: second, lines: secondLines, ip: secondIp } = await createLogged('second', ['hello']);
    expect(secondLines.some((l) => l.kind === 'O' && l.client === secondIp && hello.test(l.path))).toBe(true);
    expect(secondLines.filter((l) => l.kind === 'I' && hello.test(l.path))).toEqual([]);

    // Later installs by hand in the environment go through the cache too.
    const conf = await provisioner.exec(second.envId, ['cat', '/etc/apt/apt.conf.d/01repro-proxy'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
    expect(conf.stdout.trim()).toBe(`Acquire::http::Proxy "${cacheUrl}";`);
  });
});
