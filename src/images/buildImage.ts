import { createHash } from 'node:crypto';
import { ProviderError } from '../domain/errors.js';
import { dockerFailure } from '../docker/dockerFailure.js';
import { buildArgs } from './buildArgs.js';
import { buildContext, contextDigest, contextTar } from './buildContext.js';
import type { CatalogImage } from './catalog.js';
import type { BuildOptions } from './buildOptions.js';
import { ensureBaseImage, imageId } from './ensureBaseImage.js';
import { followBuildStream } from './followBuildStream.js';
import { pullImage, pushImage, registryRef, splitRef } from './registry.js';

export interface BuiltImage {
  name: string;
  /** `<repository>:<inputs hash>`: the exact build, what environments record and run. */
  tag: string;
  /** The image id (sha256 of its config): the digest without a registry. */
  digest: string;
  size: number;
  /** Hash of every input: definition, build context (Dockerfile, files, family tooling), base id, build args. */
  inputs: string;
  /** Same inputs were built before (here, or on another host and pulled): nothing ran. */
  cached: boolean;
  /** Where the build came from when another host made it. */
  pulledFrom?: string;
  baseBootstrapped: boolean;
}

/** Labels on every image repro builds. */
export const IMAGE_LABELS = { image: 'io.repro.image', inputs: 'io.repro.inputs', managed: 'io.repro.managed' } as const;

/** The repository part of a reference: `repro/debian-12:latest` → `repro/debian-12`. */
export function repositoryOf(ref: string): string {
  return splitRef(ref).repo;
}

/** JSON with keys sorted at every level, so equal definitions hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Builds the container side of a catalog image through the engine's API. The tag is the image's
 * repository plus a hash of every input, so the same inputs never rebuild (the tag exists: a
 * no-op) and any change makes a new tag; the floating tag (`container.tag`) moves to the result
 * only once the build succeeded, so a failed build leaves the previous one serving.
 */
export async function buildImage(image: CatalogImage, opts: BuildOptions): Promise<BuiltImage> {
  const settings = image.container;
  if (!settings) throw new ProviderError(`image ${image.name} has no container settings`, { retryable: false });
  const { docker, log } = opts;
  const files = await buildContext(image.dir);
  try {
    const base = await ensureBaseImage(image, opts);
    const args = buildArgs(image, opts.mirrors);
    const { dir: _dir, ...definition } = image;
    const inputs = createHash('sha256')
      .update(canonicalJson({ definition, context: contextDigest(files), base: base.id, args }))
      .digest('hex');
    const repository = repositoryOf(settings.tag);
    const tag = `${repository}:${inputs.slice(0, 20)}`;
    let id = opts.noCache ? undefined : await imageId(docker, tag);
    let pulledFrom: string | undefined;
    if (id) log(`${tag} exists: same inputs, nothing to build`);
    if (!id && opts.registry && !opts.noCache) {
      // Another host may have built the same inputs and shared them.
      pulledFrom = registryRef(tag, opts.registry.url);
      id = await pullImage(docker, pulledFrom, opts.registry, log).then(
        async () => {
          await docker.getImage(pulledFrom!).tag(splitRef(tag));
          await docker.getImage(pulledFrom!).remove({ noprune: true });
          log(`${tag} pulled from ${pulledFrom}: built by another host, nothing to build`);
          return imageId(docker, tag);
        },
        (err: unknown) => {
          log(`${pulledFrom} is not on the registry (${(err as Error).message.slice(0, 200)}): building`);
          pulledFrom = undefined;
          return undefined;
        },
      );
    }
    const cached = id !== undefined;
    if (!cached) {
      log(`building ${tag} from ${settings.base} (${base.id.slice(0, 19)})`);
      const stream = await docker.buildImage(contextTar(files), {
        t: tag,
        dockerfile: settings.dockerfile,
        buildargs: args,
        labels: { [IMAGE_LABELS.image]: image.name, [IMAGE_LABELS.inputs]: inputs, [IMAGE_LABELS.managed]: 'true' },
        rm: true,
        forcerm: true,
        nocache: opts.noCache ?? false,
      });
      await followBuildStream(docker, stream, log);
      id = await imageId(docker, tag);
      if (!id) throw new ProviderError(`the build of ${tag} ended without an image`, { retryable: true });
      if (opts.registry) {
        const target = registryRef(tag, opts.registry.url);
        log(`pushing ${target} for other hosts`);
        await pushImage(docker, tag, target, opts.registry, log);
      }
    }
    const info = await docker.getImage(tag).inspect();
    await docker.getImage(tag).tag(splitRef(settings.tag));
    return { name: image.name, tag, digest: info.Id, size: info.Size, inputs, cached, baseBootstrapped: base.bootstrapped, ...(pulledFrom ? { pulledFrom } : {}) };
  } catch (err) {
    throw dockerFailure(err, `building image ${image.name}`);
  }
}
