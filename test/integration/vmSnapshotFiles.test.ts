/**
 * The VM snapshot store on real files and the real qemu-img, no VM booted: a save published
 * once, lookups keyed on the set and the base disk's identity, and pruning that spares what a
 * pool overlay is backed by or what was just looked up. vmSnapshots.test.ts boots the VMs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVmSnapshots } from '../../src/provisioners/libvirt/vmSnapshots.js';

const run = promisify(execFile);
const qcow2 = async (path: string, backing?: string) =>
  run('qemu-img', ['create', '-q', '-f', 'qcow2', ...(backing ? ['-b', backing, '-F', 'qcow2'] : []), path, ...(backing ? [] : ['64M'])]);

describe('VM snapshot files (real qemu-img)', () => {
  let root: string;
  let base: string;
  let poolPath: string;
  let dir: string;
  const store = (maxCount: number, claimGraceMs = 0) => createVmSnapshots({ dir, poolPath, budget: { maxCount, maxBytes: 1024 ** 3 }, claimGraceMs });
  const meta = (envId: string, packages: string[]) => ({ base, family: 'debian' as const, packages, installed: Object.fromEntries(packages.map((p) => [p, '1.0'])), envId });
  const age = async (key: string, msAgo: number) => {
    const t = new Date(Date.now() - msAgo);
    await utimes(join(dir, `${key}.json`), t, t);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(resolve('data'), 'it-vmsnapfiles-'));
    base = join(root, 'base.qcow2');
    poolPath = join(root, 'pool');
    dir = join(root, 'vm-snapshots');
    await mkdir(poolPath);
    await qcow2(base);
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('publishes a save once and finds it for the same set in any order', async () => {
    const s = store(5);
    const miss = await s.lookup(base, 'debian', ['tree', 'bc']);
    expect(miss.hit).toBeUndefined();
    const overlay = join(poolPath, 'repro-a-disk.qcow2');
    await qcow2(overlay, base);
    expect(await s.save(overlay, miss, meta('a', ['tree', 'bc']))).toBe(true);
    // Another VM that missed meanwhile does not replace it.
    expect(await s.save(overlay, miss, meta('b', ['bc', 'tree']))).toBe(false);
    const hit = await s.lookup(base, 'debian', ['bc', 'tree', 'bc']);
    expect(hit).toEqual({ key: miss.key, baseId: miss.baseId, hit: { disk: join(dir, `${miss.key}.qcow2`), installed: { bc: '1.0', tree: '1.0' } } });
    expect((await s.list()).map((x) => x.from)).toEqual(['a']);
    expect((await readdir(dir)).sort()).toEqual([`${miss.key}.json`, `${miss.key}.qcow2`]);
    expect((await s.lookup(base, 'rhel', ['bc', 'tree'])).hit).toBeUndefined();
    // VMs installing through the package cache make other snapshots, as containers do.
    const cached = await createVmSnapshots({ dir, poolPath, budget: { maxCount: 5, maxBytes: 1024 ** 3 }, proxyUrl: 'http://172.17.0.1:3142' }).lookup(base, 'debian', ['tree', 'bc']);
    expect(cached.key).not.toBe(miss.key);
    expect(cached.hit).toBeUndefined();
  });

  it('prunes by age within the budget, never one a pool overlay is backed by or one just looked up', async () => {
    const s = store(0);
    const [kept] = await s.list();
    const other = await s.lookup(base, 'debian', ['hello']);
    await s.save(join(poolPath, 'repro-a-disk.qcow2'), other, meta('c', ['hello']));
    await age(other.key, 60_000);
    await age(kept!.key, 120_000);
    // A VM's overlay on the first snapshot: in use.
    await qcow2(join(poolPath, 'repro-d-disk.qcow2'), kept!.disk);
    // Looked up a moment ago: its overlay may be on its way.
    await s.lookup(base, 'debian', ['hello']);
    expect(await store(0, 60_000).prune()).toEqual([]);
    expect(await s.prune()).toEqual([other.key]);
    // A disk without a record (a save cut short) goes too.
    await writeFile(join(dir, 'cut.qcow2'), '');
    await rm(join(poolPath, 'repro-d-disk.qcow2'));
    expect(await store(1).prune()).toEqual([]);
    expect(await readdir(dir)).not.toContain('cut.qcow2');
    expect(await s.prune({ base, baseId: 'a rebuilt base' })).toEqual([kept!.key]);
    expect(await readdir(dir)).toEqual([]);
  });
});
