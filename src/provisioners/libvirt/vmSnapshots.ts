import { execFile } from 'node:child_process';
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PackageFamily } from '../../domain/packages.js';
import { pruneToBudget, type SnapshotBudget } from '../pruneToBudget.js';
import { snapshotKey } from '../snapshotKey.js';

const run = promisify(execFile);
const exists = (path: string) => stat(path).then(() => true, () => false);

export interface VmSnapshotLookup {
  key: string;
  /** The base disk's identity: a rebuilt disk has another, hence other keys. */
  baseId: string;
  /** On a hit: the frozen overlay to back the new VM's disk, and the versions it holds. */
  hit?: { disk: string; installed: Record<string, string> };
}

/** `<key>.json` next to `<key>.qcow2`: what the snapshot was made from. */
interface SnapshotRecord {
  key: string;
  base: string;
  baseId: string;
  family: PackageFamily;
  packages: string[];
  installed: Record<string, string>;
  from: string;
}

export interface VmSnapshot extends SnapshotRecord {
  disk: string;
  ownBytes: number;
  /** The record's mtime: every hit touches it. */
  lastUsed: number;
}

export interface VmSnapshotOptions {
  /** Where the frozen overlays and their records live (one per data dir). */
  dir: string;
  /** The pool directory: overlays there backed by a snapshot keep it. */
  poolPath: string;
  budget: SnapshotBudget;
  /** The package cache new VMs' package managers use: part of the key, as for containers. */
  proxyUrl?: string;
  /**
   * A snapshot a create looked up this recently stays: its overlay may not exist yet, so the
   * pool scan cannot see the claim. Default 5 min.
   */
  claimGraceMs?: number;
}

/**
 * Package-set snapshots of VMs: a VM's overlay (the base disk plus its installed packages),
 * copied while the guest is paused, kept as a qcow2 backing file. A later VM with the same key
 * gets an overlay on it instead of on the base disk. The hypervisor must be this host: the
 * files are read and copied here.
 */
export function createVmSnapshots(o: VmSnapshotOptions) {
  const claimGraceMs = o.claimGraceMs ?? 5 * 60_000;
  const diskOf = (key: string) => join(o.dir, `${key}.qcow2`);
  const recordOf = (key: string) => join(o.dir, `${key}.json`);

  /** Device, inode, size and mtime: a rebuild (written anew or replaced) changes at least one. */
  async function baseIdOf(base: string): Promise<string> {
    const s = await stat(base, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  }

  async function readRecord(key: string): Promise<SnapshotRecord | undefined> {
    try {
      return JSON.parse(await readFile(recordOf(key), 'utf8')) as SnapshotRecord;
    } catch {
      return undefined;
    }
  }

  async function lookup(base: string, family: PackageFamily, packages: string[]): Promise<VmSnapshotLookup> {
    const baseId = await baseIdOf(base);
    const key = snapshotKey(baseId, family, packages, o.proxyUrl);
    const record = await readRecord(key);
    const disk = diskOf(key);
    if (!record || !(await exists(disk))) return { key, baseId };
    // The claim: prune leaves it alone until the new overlay shows it in use.
    const now = new Date();
    await utimes(recordOf(key), now, now);
    return { key, baseId, hit: { disk, installed: record.installed } };
  }

  /**
   * Keeps `overlay` (the guest paused, so qemu has flushed it) as the snapshot of `found.key`.
   * A snapshot saved meanwhile by another VM wins: a published file is never replaced, as
   * overlays may already name it as their backing file.
   */
  async function save(overlay: string, found: VmSnapshotLookup, meta: { base: string; family: PackageFamily; packages: string[]; installed: Record<string, string>; envId: string }): Promise<boolean> {
    await mkdir(o.dir, { recursive: true });
    const tmp = join(o.dir, `.${found.key}.${meta.envId}.tmp`);
    try {
      await copyFile(overlay, tmp);
      const record: SnapshotRecord = {
        key: found.key,
        base: meta.base,
        baseId: found.baseId,
        family: meta.family,
        packages: [...new Set(meta.packages)].sort(),
        installed: meta.installed,
        from: meta.envId,
      };
      try {
        await link(tmp, diskOf(found.key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
      // The record last: a lookup finds a snapshot only once its disk is complete.
      await writeFile(`${tmp}.json`, JSON.stringify(record));
      await rename(`${tmp}.json`, recordOf(found.key));
      return true;
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.json`, { force: true });
    }
  }

  async function list(): Promise<VmSnapshot[]> {
    const out: VmSnapshot[] = [];
    for (const name of await readdir(o.dir).catch(() => [] as string[])) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const key = name.slice(0, -'.json'.length);
      const record = await readRecord(key);
      const [recordStat, diskStat] = await Promise.all([stat(recordOf(key)).catch(() => undefined), stat(diskOf(key)).catch(() => undefined)]);
      if (!record || !recordStat) continue;
      out.push({ ...record, disk: diskOf(key), ownBytes: diskStat?.size ?? 0, lastUsed: recordStat.mtimeMs });
    }
    return out;
  }

  /** Backing files of the pool's overlays: the snapshots a VM (running or not) still needs. */
  async function backingFilesInUse(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const name of await readdir(o.poolPath).catch(() => [] as string[])) {
      if (!name.endsWith('.qcow2')) continue;
      try {
        // -U: a running qemu holds the write lock on the overlay.
        const { stdout } = await run('qemu-img', ['info', '-U', '--output=json', join(o.poolPath, name)]);
        const info = JSON.parse(stdout) as { 'full-backing-filename'?: string; 'backing-filename'?: string };
        const backing = info['full-backing-filename'] ?? info['backing-filename'];
        if (backing) used.add(backing);
      } catch {
        // Deleted since the listing.
      }
    }
    return used;
  }

  /**
   * Retires snapshots of an older build of `current.base` (or whose base or disk is gone), then removes
   * the least recently used until within the budget. One an overlay is backed by, or claimed
   * within the grace period, is never removed.
   */
  async function prune(current?: { base: string; baseId: string }): Promise<string[]> {
    const [snapshots, inUse] = await Promise.all([list(), backingFilesInUse()]);
    const removed: string[] = [];
    const remove = async (s: VmSnapshot): Promise<boolean> => {
      // Record first: from then on no lookup hits it.
      await rm(recordOf(s.key), { force: true });
      await rm(s.disk, { force: true });
      removed.push(s.key);
      return true;
    };
    const claimed = (s: VmSnapshot) => inUse.has(s.disk) || Date.now() - s.lastUsed < claimGraceMs;
    // A disk whose record was never written (the save failed in between) is found by no lookup.
    const recorded = new Set(snapshots.map((s) => s.disk));
    for (const name of await readdir(o.dir).catch(() => [] as string[])) {
      const disk = join(o.dir, name);
      if (name.endsWith('.qcow2') && !recorded.has(disk) && !inUse.has(disk) && !(await readRecord(name.slice(0, -'.qcow2'.length)))) await rm(disk, { force: true });
    }
    const kept: VmSnapshot[] = [];
    for (const s of snapshots) {
      const retired = (current !== undefined && s.base === current.base && s.baseId !== current.baseId) || !(await exists(s.base)) || !(await exists(s.disk));
      if (retired && !inUse.has(s.disk)) await remove(s);
      else kept.push(s);
    }
    await pruneToBudget(kept, o.budget, claimed, remove);
    return removed;
  }

  return { lookup, save, list, prune, baseIdOf };
}

export type VmSnapshots = ReturnType<typeof createVmSnapshots>;
