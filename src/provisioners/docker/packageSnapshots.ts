import type Docker from 'dockerode';
import { IMAGE_LABELS } from '../../images/buildImage.js';
import type { PackageFamily } from '../../domain/packages.js';
import { LABELS } from '../port.js';
import { dockerStatus } from '../../docker/dockerFailure.js';
import { pruneToBudget, type SnapshotBudget } from '../pruneToBudget.js';
import { snapshotKey } from '../snapshotKey.js';

export const SNAPSHOT_REPO = 'repro/snapshot';
export const SNAPSHOT_LABELS = {
  key: 'io.repro.snapshot.key',
  /** The base image's id: a new build of the base has another id, hence other keys. */
  base: 'io.repro.snapshot.base',
  /** The tag the base was asked by; snapshots of an older build of it are retired. */
  source: 'io.repro.snapshot.source',
  family: 'io.repro.snapshot.family',
  packages: 'io.repro.snapshot.packages',
  /** The exact versions installed, `name=version` separated by spaces: the environment's provenance on a hit. */
  installed: 'io.repro.snapshot.installed',
  from: 'io.repro.snapshot.from',
  /** The repository it is tagged in; snapshots saved before this label are the default one's. */
  repository: 'io.repro.snapshot.repository',
} as const;

export interface SnapshotLookup {
  key: string;
  baseId: string;
  /** On a hit: the image to start from and the versions it holds. */
  hit?: { image: string; installed: Record<string, string> };
}

interface SnapshotImage {
  id: string;
  key: string;
  tagged: boolean;
  baseId: string;
  source: string;
  ownBytes: number;
  lastUsed: number;
}

/**
 * Package-set snapshots: the container committed once its packages are installed, tagged
 * repro/snapshot:<key>. The engine keeps the least-recently-used order itself: every hit re-tags
 * the image, which moves its LastTagTime, so all workers of a host share one order.
 */
export function createPackageSnapshots(docker: Docker, budget: SnapshotBudget, proxyUrl: string | undefined, repository = SNAPSHOT_REPO) {
  const tagOf = (key: string) => `${repository}:${key}`;

  async function lookup(baseTag: string, family: PackageFamily, packages: string[]): Promise<SnapshotLookup> {
    const base = await docker.getImage(baseTag).inspect();
    const key = snapshotKey(base.Id, family, packages, proxyUrl);
    try {
      const info = await docker.getImage(tagOf(key)).inspect();
      const installed = Object.fromEntries(
        (info.Config.Labels?.[SNAPSHOT_LABELS.installed] ?? '').split(' ').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
      );
      return { key, baseId: base.Id, hit: { image: tagOf(key), installed } };
    } catch (err) {
      if (dockerStatus(err) !== 404) throw err;
      return { key, baseId: base.Id };
    }
  }

  /** Marks a hit as just used. */
  async function touch(key: string): Promise<void> {
    await docker.getImage(tagOf(key)).tag({ repo: repository, tag: key });
  }

  async function save(
    container: Docker.Container,
    found: SnapshotLookup,
    meta: { baseTag: string; family: PackageFamily; packages: string[]; installed: Record<string, string>; envId: string },
  ): Promise<void> {
    const packages = [...new Set(meta.packages)].sort().join(' ');
    const labels: Record<string, string> = {
      [LABELS.managed]: 'true',
      // Containers started from it get their own environment, ticket and instance labels; the
      // image belongs to no environment and is shared by every deployment on the host.
      [LABELS.environment]: '',
      [LABELS.ticket]: '',
      [LABELS.instance]: '',
      // Inherited from the base build, whose inputs it no longer is; the base is named below.
      [IMAGE_LABELS.inputs]: '',
      [SNAPSHOT_LABELS.key]: found.key,
      [SNAPSHOT_LABELS.base]: found.baseId,
      [SNAPSHOT_LABELS.source]: meta.baseTag,
      [SNAPSHOT_LABELS.family]: meta.family,
      [SNAPSHOT_LABELS.packages]: packages,
      [SNAPSHOT_LABELS.installed]: Object.entries(meta.installed).map(([name, version]) => `${name}=${version}`).join(' '),
      [SNAPSHOT_LABELS.from]: meta.envId,
      [SNAPSHOT_LABELS.repository]: repository,
    };
    // Package names, versions, tags and ids hold no quote or backslash: JSON quoting is Dockerfile quoting.
    const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
    // Paused while committing: daemons a package started cannot leave a torn file in the image.
    await container.commit({ repo: repository, tag: found.key, pause: true, changes });
  }

  async function list(): Promise<SnapshotImage[]> {
    const images = await docker.listImages({ all: false, filters: { label: [SNAPSHOT_LABELS.key] } });
    const baseSizes = new Map<string, number>();
    const out: SnapshotImage[] = [];
    for (const summary of images) {
      // Another repository's snapshots (a test's, say) are its own budget's business.
      if ((summary.Labels?.[SNAPSHOT_LABELS.repository] ?? SNAPSHOT_REPO) !== repository) continue;
      const info = (await docker.getImage(summary.Id).inspect()) as Docker.ImageInspectInfo & { Metadata?: { LastTagTime?: string } };
      const labels = info.Config.Labels ?? {};
      const baseId = labels[SNAPSHOT_LABELS.base] ?? '';
      if (!baseSizes.has(baseId)) {
        baseSizes.set(baseId, await docker.getImage(baseId).inspect().then((b) => b.Size, () => 0));
      }
      const lastTag = Date.parse(info.Metadata?.LastTagTime ?? '');
      out.push({
        id: info.Id,
        key: labels[SNAPSHOT_LABELS.key] ?? '',
        tagged: (info.RepoTags ?? []).some((t) => t.startsWith(`${repository}:`)),
        baseId,
        source: labels[SNAPSHOT_LABELS.source] ?? '',
        ownBytes: Math.max(info.Size - (baseSizes.get(baseId) ?? 0), 0),
        lastUsed: Number.isNaN(lastTag) ? Date.parse(info.Created) : lastTag,
      });
    }
    return out;
  }

  /**
   * Retires snapshots of an older build of `current`'s base and untagged leftovers (a concurrent
   * identical save re-tags), then removes the least recently used until within the budget. An
   * image a container (live environment or not) still uses is never removed.
   */
  async function prune(current?: { baseTag: string; baseId: string }): Promise<string[]> {
    const [snapshots, containers] = await Promise.all([list(), docker.listContainers({ all: true })]);
    const inUse = new Set(containers.map((c) => c.ImageID));
    const removed: string[] = [];
    const remove = async (s: SnapshotImage): Promise<boolean> => {
      try {
        await docker.getImage(s.id).remove();
        removed.push(s.key);
        return true;
      } catch (err) {
        // 409: a container started from it since we listed; it stays.
        if (dockerStatus(err) !== 404 && dockerStatus(err) !== 409) throw err;
        return false;
      }
    };
    const retired = (s: SnapshotImage) => !s.tagged || (current !== undefined && s.source === current.baseTag && s.baseId !== current.baseId);
    const kept: SnapshotImage[] = [];
    for (const s of snapshots) {
      if (retired(s) && !inUse.has(s.id)) await remove(s);
      else kept.push(s);
    }
    await pruneToBudget(kept, budget, (s) => inUse.has(s.id), remove);
    return removed;
  }

  return { lookup, touch, save, prune, list };
}

export type PackageSnapshots = ReturnType<typeof createPackageSnapshots>;
