import type { BuildStore } from './buildStore.js';
import type { LiveCatalog } from './liveCatalog.js';

/**
 * Queues a build of each listed image (config `images.prewarm`) unless one is already queued or
 * running. Same inputs make it a no-op that records the serving build; environments asked for
 * meanwhile wait for it (their events say so). Returns the queued build ids.
 */
export async function prewarm(
  names: string[],
  deps: { catalog: Pick<LiveCatalog, 'refresh' | 'get' | 'sourceOf'>; builds: BuildStore; queueBuild(id: string): Promise<void> },
  warn: (message: string) => void,
): Promise<string[]> {
  await deps.catalog.refresh();
  const queued: string[] = [];
  for (const name of names) {
    const image = deps.catalog.get(name);
    if (!image?.container) {
      warn(`images.prewarm: ${name} is not a container image of the catalog; skipped`);
      continue;
    }
    const last = (await deps.builds.list(name, 1))[0];
    if (last && (last.state === 'queued' || last.state === 'running')) continue;
    const build = await deps.builds.create(name, deps.catalog.sourceOf(name)?.revision ?? 1, 'prewarm');
    await deps.queueBuild(build.id);
    queued.push(build.id);
  }
  return queued;
}
