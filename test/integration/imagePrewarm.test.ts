import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { copyDebianImage } from '../support/copyDebianImage.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/**
 * Pre-warm: the worker queues the listed images' builds at start; an environment asked for while
 * its image builds waits for that build (its events say so) and starts from it. The catalog is a
 * copy of debian-12 under this run's repository, with a step that makes the build last a while.
 */
const docker = new Docker();
const run = randomBytes(3).toString('hex');
const repository = `repro-test/warm-${run}`;
let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = await copyDebianImage('repro-prewarm-', repository, `RUN sleep 4 && echo ${run} > /prewarm`);
  h = await startHarness({
    imagesDir: dir,
    provisioners: { container: createDockerProvisioner({ hostId: `test-${run}` }) },
    env: { REPRO_IMAGE_PREWARM: 'debian-12,no-such-image', REPRO_KINDS: 'container' },
    workers: true,
  });
});

afterAll(async () => {
  const envs = (await h.app.inject({ method: 'GET', url: '/v1/environments?limit=50', headers: h.auth })).json().items as Array<{ id: string }>;
  await Promise.allSettled(envs.map((e) => h.deps.provisioners.container!.destroy(e.id)));
  await h?.close();
  const tags = (await docker.listImages({ filters: { reference: [`${repository}:*`] } })).flatMap((i) => i.RepoTags ?? []);
  for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('pre-warm', () => {
  it('builds the listed images at start; a request meanwhile waits for the build and starts from it', async () => {
    const listed = (await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth })).json().items[0];
    expect(listed).toMatchObject({ name: 'debian-12', state: 'building', lastBuild: { requestedBy: 'prewarm' } });
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'WARM' }, image: 'debian-12' } });
    expect(res.statusCode).toBe(202);
    const env = await waitFor(async () => {
      const e = (await h.app.inject({ method: 'GET', url: `/v1/environments/${res.json().id}`, headers: h.auth })).json();
      if (e.state === 'failed' || e.state === 'destroying') throw new Error(JSON.stringify(e.error));
      return e.state === 'ready' ? e : undefined;
    }, 300_000, 'environment ready');
    const image = (await h.app.inject({ method: 'GET', url: '/v1/images/debian-12', headers: h.auth })).json();
    expect(image).toMatchObject({ state: 'ready', current: { buildId: listed.lastBuild.id } });
    expect(env.provenance.imageTag).toBe(image.current.tag);
    const events = (await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: h.auth })).json().items as Array<{ message: string }>;
    expect(events.map((e) => e.message)).toContainEqual(expect.stringMatching(new RegExp(`^waiting for build ${listed.lastBuild.id} of image debian-12 \\((queued|running)\\)$`)));
    const marker = (await h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/exec`, headers: h.auth, payload: { command: ['cat', '/prewarm'] } })).json();
    expect(marker.stdout.trim()).toBe(run);
  });
});
