import type Docker from 'dockerode';
import type { Clock } from '../domain/clock.js';
import { buildImage, IMAGE_LABELS, repositoryOf } from './buildImage.js';
import type { BuildOptions } from './buildOptions.js';
import type { BuildStore } from './buildStore.js';
import type { LiveCatalog } from './liveCatalog.js';

export interface RunBuildDeps {
  catalog: Pick<LiveCatalog, 'refresh' | 'get' | 'sourceOf'>;
  builds: BuildStore;
  clock: Clock;
  hostId: string;
  build: Omit<BuildOptions, 'log'>;
  /** Builds of an image kept besides the serving one and those live environments use. */
  keepBuilds: number;
  /** Image tags live environments started from: never pruned. */
  tagsInUse(): Promise<Set<string>>;
  /** Also gets every log line (a shell's output); the build's log in Redis has them all the same. */
  echo?: (line: string) => void;
}

/**
 * Runs one queued build: the image's current definition through buildImage, every line into the
 * build's log. Success makes it the image's serving build and prunes old ones; failure is
 * recorded and leaves the serving build as it was.
 */
export async function runBuild(deps: RunBuildDeps, buildId: string): Promise<void> {
  const { builds, clock } = deps;
  const record = await builds.require(buildId);
  if (record.state !== 'queued') return;
  await deps.catalog.refresh();
  const image = deps.catalog.get(record.image);
  const revision = deps.catalog.sourceOf(record.image)?.revision ?? record.revision;
  await builds.update(buildId, { state: 'running', startedAt: clock.now().toISOString(), hostId: deps.hostId, revision });
  // Lines are appended in order; the final state line waits for those still being written.
  let pending = Promise.resolve();
  const log = (line: string) => {
    deps.echo?.(line);
    pending = pending.then(() => builds.appendLog(buildId, line)).catch(() => undefined);
  };
  try {
    if (!image) throw new Error(`image ${record.image} left the catalog`);
    const built = await buildImage(image, { ...deps.build, log });
    const finishedAt = clock.now().toISOString();
    await builds.setCurrent(image.name, { buildId, revision, tag: built.tag, digest: built.digest, size: built.size, builtAt: finishedAt });
    // Pruning is housekeeping: its trouble is logged, the build has succeeded all the same.
    await pruneBuilds(deps.build.docker, image.container?.tag ?? '', built.tag, deps.keepBuilds, await deps.tagsInUse(), log)
      .catch((err: unknown) => log(`pruning skipped: ${(err as Error).message}`));
    await pending;
    await builds.update(buildId, { state: 'succeeded', finishedAt, tag: built.tag, digest: built.digest, size: built.size, inputs: built.inputs, cached: built.cached });
    await builds.appendLog(buildId, `succeeded: ${built.tag} (${built.digest})${built.cached ? ', same inputs as an earlier build' : ''}`, 'succeeded');
  } catch (err) {
    await pending;
    const message = (err as Error).message.slice(0, 4000);
    await builds.update(buildId, { state: 'failed', finishedAt: clock.now().toISOString(), error: message });
    await builds.appendLog(buildId, `failed: ${message}`, 'failed');
  }
}

/**
 * Removes an image's content-hash tags beyond the newest `keep`, except the serving one and any
 * a live environment uses. Only tags are removed: the engine keeps layers other images share.
 */
export async function pruneBuilds(docker: Docker, floating: string, serving: string, keep: number, inUse: Set<string>, log: (line: string) => void): Promise<string[]> {
  const repository = repositoryOf(floating);
  const images = await docker.listImages({ filters: { label: [`${IMAGE_LABELS.managed}=true`] } });
  // Newest first; one image id may carry several hash tags (same layers, different inputs).
  const tags = images
    .sort((a, b) => b.Created - a.Created)
    .flatMap((i) => (i.RepoTags ?? []).filter((t) => t.startsWith(`${repository}:`) && t !== floating));
  const removed: string[] = [];
  for (const tag of tags.slice(keep)) {
    if (tag === serving || inUse.has(tag)) continue;
    try {
      await docker.getImage(tag).remove({ noprune: false });
      removed.push(tag);
      log(`pruned ${tag}`);
    } catch (err) {
      // In use by a container of another deployment, or removed meanwhile: keep going.
      log(`kept ${tag}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  return removed;
}
