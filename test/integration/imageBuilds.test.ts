import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { copyDebianImage } from '../support/copyDebianImage.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/**
 * Builds through the API, the image-build queue and the real Docker engine. The catalog is a copy
 * of debian-12 under a repository of this run (repro-test/…), so the shared repro/debian-12 tags
 * stay untouched; the engine's layer cache makes its first build quick.
 */
const docker = new Docker();
const run = randomBytes(3).toString('hex');
const repository = `repro-test/img-${run}`;
let dir: string;
let h: Harness;
let admin: { authorization: string };
let base: string;

async function build(): Promise<{ build: Record<string, any>; log: string[] }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/images/debian-12/builds', headers: admin });
  expect(res.statusCode).toBe(202);
  const id = res.json().id as string;
  return waitFor(async () => {
    const b = (await h.app.inject({ method: 'GET', url: `/v1/images/debian-12/builds/${id}`, headers: h.auth })).json();
    return b.build.state === 'succeeded' || b.build.state === 'failed' ? b : undefined;
  }, 600_000, `build ${id}`);
}

async function environment(ticket: string): Promise<Record<string, any>> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: ticket }, image: 'debian-12', packages: ['less'] } });
  expect(res.statusCode).toBe(202);
  return waitFor(async () => {
    const env = (await h.app.inject({ method: 'GET', url: `/v1/environments/${res.json().id}`, headers: h.auth })).json();
    if (env.state === 'failed' || env.state === 'destroying') throw new Error(`environment ${env.id} ${env.state}: ${JSON.stringify(env.error)}`);
    return env.state === 'ready' ? env : undefined;
  }, 300_000, `environment for ${ticket}`);
}

async function exec(id: string, command: string[]): Promise<{ exitCode: number; stdout: string }> {
  return (await h.app.inject({ method: 'POST', url: `/v1/environments/${id}/exec`, headers: h.auth, payload: { command } })).json();
}

async function tags(): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [`${repository}:*`] } });
  return images.flatMap((i) => i.RepoTags ?? []);
}

async function putPackages(packages: string[]): Promise<void> {
  const doc = (await h.app.inject({ method: 'GET', url: '/v1/images/debian-12', headers: h.auth })).json().definition;
  const res = await h.app.inject({ method: 'PUT', url: '/v1/images/debian-12', headers: admin, payload: { ...doc, packages } });
  expect(res.statusCode).toBe(200);
}

beforeAll(async () => {
  // A step unique to this run, so the engine's layer cache of earlier runs cannot make a build
  // end before the live log is read.
  dir = await copyDebianImage('repro-builds-', repository, `RUN echo ${run} > /build-run && sleep 2`);
  h = await startHarness({
    imagesDir: dir,
    provisioners: { container: createDockerProvisioner({ hostId: `test-${run}` }) },
    env: { REPRO_IMAGE_KEEP_BUILDS: '1', REPRO_KINDS: 'container' },
    workers: true,
  });
  admin = { authorization: `Bearer ${h.adminToken}` };
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  const envs = (await h.app.inject({ method: 'GET', url: '/v1/environments?limit=50', headers: h.auth })).json().items as Array<{ id: string }>;
  await Promise.allSettled(envs.map((e) => h.deps.provisioners.container!.destroy(e.id)));
  await h?.close();
  for (const tag of await tags()) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('image builds', () => {
  let first: { build: Record<string, any>; log: string[] };
  let second: { build: Record<string, any>; log: string[] };
  let older: Record<string, any>;

  it('builds through the queue with the engine, tagged by the hash of its inputs; the same inputs again are a no-op', async () => {
    first = await build();
    expect(first.build).toMatchObject({ state: 'succeeded', revision: 1, tag: expect.stringMatching(new RegExp(`^${repository}:[0-9a-f]{20}$`)), digest: expect.stringMatching(/^sha256:/) });
    expect(first.log.join('\n')).toMatch(/succeeded/);
    const again = await build();
    expect(again.build).toMatchObject({ state: 'succeeded', cached: true, tag: first.build.tag, digest: first.build.digest });
    expect(again.log.join('\n')).toMatch(/same inputs, nothing to build/);
    expect(again.log.join('\n')).not.toMatch(/Step \d/);
    const image = (await h.app.inject({ method: 'GET', url: '/v1/images/debian-12', headers: h.auth })).json();
    expect(image).toMatchObject({ state: 'ready', current: { tag: first.build.tag, digest: first.build.digest, revision: 1 } });
    expect(image.current.size).toBeGreaterThan(10_000_000);
  });

  it('an environment records the build it started from and the exact package versions', async () => {
    older = await environment('OLD');
    expect(older.provenance).toMatchObject({ imageRevision: 1, imageTag: first.build.tag, imageDigest: first.build.digest, packages: { less: expect.stringMatching(/^\d/) } });
    const dpkg = await exec(older.id, ['dpkg-query', '-W', '-f', '${Version}', 'less']);
    expect(dpkg.stdout).toBe(older.provenance.packages.less);
  });

  it('a changed default package makes a new tag, followed live over SSE; new environments get it, older ones keep theirs', async () => {
    await putPackages(['hello']);
    const res = await h.app.inject({ method: 'POST', url: '/v1/images/debian-12/builds', headers: admin });
    const id = res.json().id as string;
    const stream = await fetch(`${base}/v1/images/debian-12/builds/${id}`, { headers: { ...h.auth, accept: 'text/event-stream' } });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    let text = '';
    let sawLogWhileRunning = false;
    const decoder = new TextDecoder();
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (!sawLogWhileRunning && /event: log/.test(text)) {
        sawLogWhileRunning = (await h.deps.builds.get(id))?.state === 'running';
      }
    }
    expect(sawLogWhileRunning).toBe(true);
    expect(text).toMatch(/event: log\ndata: .*Step \d+\/\d+ : RUN \/usr\/local\/lib\/repro\/families\/debian\/install/);
    expect(text).toMatch(/event: end\ndata: .*"state":"succeeded"/);
    const done = (await h.app.inject({ method: 'GET', url: `/v1/images/debian-12/builds/${id}`, headers: h.auth })).json();
    expect(done.build).toMatchObject({ state: 'succeeded', revision: 2, cached: false });
    expect(done.build.tag).not.toBe(first.build.tag);
    second = done;

    const newer = await environment('NEW');
    expect(newer.provenance).toMatchObject({ imageRevision: 2, imageTag: done.build.tag });
    expect((await exec(newer.id, ['hello'])).stdout).toMatch(/Hello, world!/);
    expect((await exec(older.id, ['sh', '-c', 'command -v hello || echo absent'])).stdout.trim()).toBe('absent');
    const container = await docker.getContainer(`repro-${older.id}`).inspect();
    expect(container.Image).toBe(first.build.digest);
    // The older build stays while an environment uses it, although only one build is kept.
    expect(await tags()).toContain(first.build.tag);
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${newer.id}`, headers: h.auth });
    await waitFor(async () => ((await h.deps.store.get(newer.id))?.state === 'destroyed' ? true : undefined), 60_000, 'newer destroyed');
  });

  it('from recreates an environment exactly: its build and its package versions, although the image moved on', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'AGAIN' }, from: older.id } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ image: 'debian-12', from: older.id, imageTag: first.build.tag, packages: [`less=${older.provenance.packages.less}`] });
    const again = await waitFor(async () => {
      const env = (await h.app.inject({ method: 'GET', url: `/v1/environments/${res.json().id}`, headers: h.auth })).json();
      return env.state === 'ready' ? env : undefined;
    }, 300_000, 'recreated environment');
    expect(again.provenance).toEqual(older.provenance);
    expect((await exec(again.id, ['sh', '-c', 'command -v hello || echo absent'])).stdout.trim()).toBe('absent');
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${again.id}`, headers: h.auth });
  });

  it('a broken Dockerfile fails the build and the previous build keeps serving', async () => {
    const serving = (await h.app.inject({ method: 'GET', url: '/v1/images/debian-12', headers: h.auth })).json().current;
    const dockerfile = join(dir, 'debian-12', 'Dockerfile');
    await writeFile(dockerfile, (await readFile(dockerfile, 'utf8')).replace('CMD ["sleep"', 'RUN echo broken step >&2; exit 3\nCMD ["sleep"'));
    const failed = await build();
    expect(failed.build).toMatchObject({ state: 'failed', error: expect.stringMatching(/returned a non-zero code: 3/) });
    expect(failed.log.join('\n')).toMatch(/broken step/);
    const image = (await h.app.inject({ method: 'GET', url: '/v1/images/debian-12', headers: h.auth })).json();
    expect(image).toMatchObject({ state: 'ready', current: serving, lastBuild: { state: 'failed' } });
    const env = await environment('AFTER-FAIL');
    expect(env.provenance.imageTag).toBe(serving.tag);
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    await waitFor(async () => ((await h.deps.store.get(env.id))?.state === 'destroyed' ? true : undefined), 60_000, 'environment destroyed');
  });

  it('prunes builds beyond the kept count that no live environment uses', async () => {
    const dockerfile = join(dir, 'debian-12', 'Dockerfile');
    await writeFile(dockerfile, (await readFile(dockerfile, 'utf8')).replace('RUN echo broken step >&2; exit 3\n', ''));
    await putPackages(['hello', 'less']);
    const third = await build();
    expect(third.build.state).toBe('succeeded');
    const now = await tags();
    expect(now).toContain(third.build.tag);
    expect(now).toContain(first.build.tag); // the OLD environment still runs it
    expect(now).not.toContain(second.build.tag); // its environment is gone, and only one build is kept
    expect(third.log).toContain(`pruned ${second.build.tag}`);
  });
});
