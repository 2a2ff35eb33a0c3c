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
import { SNAPSHOT_LABELS } from '../../src/provisioners/docker/packageSnapshots.js';
import { snapshotKey } from '../../src/provisioners/snapshotKey.js';
import { LABELS, type Provisioner, type ProvisionSpec } from '../../src/provisioners/port.js';

// Real engine. Every snapshot here descends from a base image made for this run (debian-12 plus a
// label naming the run), so keys are this run's own and earlier runs' snapshots cannot answer.
const docker = new Docker();
const run = randomBytes(3).toString('hex');
const cacheUrl = loadConfig({ ...process.env }).packageCache.url;
const packageCacheUrl = cacheUrl === 'off' ? undefined : cacheUrl;
const baseTag = `repro-test/snapshot-base:${run}`;
// Its own repository: other files' snapshots on this engine do not count against its budgets.
const snapshotRepository = `repro-test/snapshot-${run}`;
const created: Array<{ provisioner: Provisioner; envId: string }> = [];
const baseIds = new Set<string>();
let image: CatalogImage;

/** A new "build" of the run's base tag: another image id under the same tag. */
async function buildBase(build: number): Promise<string> {
  const container = await docker.createContainer({ Image: 'repro/debian-12:latest' });
  try {
    await container.commit({ repo: 'repro-test/snapshot-base', tag: run, changes: [`LABEL io.repro.test.run="${run}-${build}"`] });
  } finally {
    await container.remove({ force: true });
  }
  const { Id } = await docker.getImage(baseTag).inspect();
  baseIds.add(Id);
  return Id;
}

function provisionerWith(maxCount: number): Provisioner {
  return createDockerProvisioner({ hostId: 'test-host', snapshots: { maxCount, maxBytes: 50 * 1024 ** 3 }, snapshotRepository, ...(packageCacheUrl ? { packageCacheUrl } : {}) });
}

async function create(provisioner: Provisioner, suffix: string, packages: string[]) {
  const envId = `test-${run}-${suffix}`;
  created.push({ provisioner, envId });
  const progress: string[] = [];
  const spec: ProvisionSpec = { envId, ticket: { system: 'generic', id: `T-${run}` }, image, packages, limits: { cpus: 0.5, memoryMb: 256, pids: 128 } };
  const result = await provisioner.create(spec, (line) => progress.push(line));
  return { envId, result, installed: progress.some((l) => l.startsWith('$ apt-get install')) };
}

async function snapshotExists(key: string): Promise<boolean> {
  return docker.getImage(`${snapshotRepository}:${key}`).inspect().then(() => true, () => false);
}

async function destroy(envId: string): Promise<void> {
  const entry = created.find((c) => c.envId === envId)!;
  await entry.provisioner.destroy(envId);
}

beforeAll(async () => {
  // What a worker does at start: the host's isolation rules, the package cache the one service let through.
  await ensureIsolation(isolationRules(packageCacheService(cacheUrl)));
  const catalog = await loadCatalog(join(import.meta.dirname, '../../images'));
  const debian = catalog.get('debian-12')!;
  image = { ...debian, container: { ...debian.container!, tag: baseTag } };
});

afterAll(async () => {
  await Promise.allSettled(created.map((c) => c.provisioner.destroy(c.envId)));
  const snapshots = await docker.listImages({ filters: { label: [SNAPSHOT_LABELS.key] } });
  for (const s of snapshots) {
    if (baseIds.has(s.Labels?.[SNAPSHOT_LABELS.base] ?? '')) await docker.getImage(s.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const id of baseIds) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
});

describe('package-set snapshots', () => {
  const provisioner = provisionerWith(20);

  it('starts an identical request (packages in another order) from the snapshot, and a different version misses', async () => {
    const baseId = await buildBase(1);
    const first = await create(provisioner, 'first', ['hello', 'bc']);
    expect(first.installed).toBe(true);
    expect(first.result.snapshot).toBeUndefined();
    const key = snapshotKey(baseId, 'debian', ['bc', 'hello'], packageCacheUrl);
    const info = await docker.getImage(`${snapshotRepository}:${key}`).inspect();
    expect(info.Config.Labels).toMatchObject({
      [LABELS.managed]: 'true',
      [SNAPSHOT_LABELS.key]: key,
      [SNAPSHOT_LABELS.base]: baseId,
      [SNAPSHOT_LABELS.source]: baseTag,
      [SNAPSHOT_LABELS.packages]: 'bc hello',
      [SNAPSHOT_LABELS.from]: first.envId,
      [SNAPSHOT_LABELS.repository]: snapshotRepository,
    });

    const again = await create(provisioner, 'again', ['bc', 'hello']);
    expect(again.installed).toBe(false);
    expect(again.result.snapshot).toBe(key);
    // Provenance as if installed: the exact versions and the base build it descends from.
    expect(again.result.installed).toEqual(first.result.installed);
    expect(Object.keys(again.result.installed ?? {}).sort()).toEqual(['bc', 'hello']);
    expect(again.result.imageRef).toEqual({ tag: baseTag, digest: baseId });
    const container = await docker.getContainer(`repro-${again.envId}`).inspect();
    expect(container.Image).toBe(info.Id);
    expect(container.Config.Labels[LABELS.environment]).toBe(again.envId);
    const hello = await provisioner.exec(again.envId, ['hello'], { timeoutMs: 10_000, maxOutputBytes: 4096 });
    expect(hello.stdout).toContain('Hello, world!');

    const pinned = await create(provisioner, 'pinned', ['bc', 'hello=2.10-3']);
    expect(pinned.installed).toBe(true);
    expect(pinned.result.snapshot).toBeUndefined();
    expect(await snapshotExists(snapshotKey(baseId, 'debian', ['bc', 'hello=2.10-3'], packageCacheUrl))).toBe(true);
    // A snapshot in use is never pruned: leave none in use for the pruning test.
    await destroy(again.envId);
  });

  // Each test builds the base it starts from and the snapshots it needs: no test leans on another's.
  it('misses after a new build of the base image, and retires the old build\'s snapshots', async () => {
    const oldBase = await buildBase(2);
    await create(provisioner, 'before-rebuild', ['hello', 'bc']);
    const oldKey = snapshotKey(oldBase, 'debian', ['bc', 'hello'], packageCacheUrl);
    expect(await snapshotExists(oldKey)).toBe(true);
    const newBase = await buildBase(3);
    const rebuilt = await create(provisioner, 'rebuilt', ['hello', 'bc']);
    expect(rebuilt.installed).toBe(true);
    expect(rebuilt.result.snapshot).toBeUndefined();
    expect(await snapshotExists(snapshotKey(newBase, 'debian', ['bc', 'hello'], packageCacheUrl))).toBe(true);
    // Pruning runs after the environment is handed over.
    await expect.poll(() => snapshotExists(oldKey), { timeout: 30_000 }).toBe(false);
  });

  it('prunes the least recently used snapshot beyond the budget, never one a container uses', async () => {
    const baseId = await buildBase(4);
    await create(provisioner, 'seed', ['hello', 'bc']);
    const small = provisionerWith(1);
    const inUseKey = snapshotKey(baseId, 'debian', ['bc', 'hello'], packageCacheUrl);
    const user = await create(small, 'user', ['bc', 'hello']);
    expect(user.result.snapshot).toBe(inUseKey);

    // Over budget: the older snapshot is in use, so the new one is what goes (pruning runs after
    // the environment is handed over: wait for it, then the one in use must still be there).
    await create(small, 'second-set', ['hello']);
    await expect.poll(() => snapshotExists(snapshotKey(baseId, 'debian', ['hello'], packageCacheUrl)), { timeout: 30_000 }).toBe(false);
    expect(await snapshotExists(inUseKey)).toBe(true);

    // Once nobody uses it, it is the least recently used and goes first.
    await destroy(user.envId);
    await create(small, 'third-set', ['bc']);
    await expect.poll(() => snapshotExists(inUseKey), { timeout: 30_000 }).toBe(false);
    expect(await snapshotExists(snapshotKey(baseId, 'debian', ['bc'], packageCacheUrl))).toBe(true);
  });
});
