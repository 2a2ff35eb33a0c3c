import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { LABELS } from '../../src/provisioners/port.js';
import { repoCatalog, startHarness, waitFor, type Harness } from '../support/harness.js';
import { buildSlowAptImage } from '../support/slowAptImage.js';

/**
 * A delete during a package install that would take 10 minutes, against the real Docker engine:
 * the test image is debian-12 with an `apt-get` that only sleeps (first on PATH), so the install
 * step hangs the way a slow mirror or a huge package list would.
 */
describe('cancelling a container mid-install', () => {
  const docker = new Docker();
  let slowApt: Awaited<ReturnType<typeof buildSlowAptImage>> | undefined;
  let h: Harness;
  let envId: string | undefined;

  beforeAll(async () => {
    const repo = await repoCatalog();
    slowApt = await buildSlowAptImage(docker, repo.get('debian-12')!);
    h = await startHarness({ provisioners: { container: createDockerProvisioner({ hostId: 'test' }) }, extraImages: [slowApt.image], workers: true });
  });
  afterAll(async () => {
    if (envId) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${envId}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const n of await docker.listNetworks({ filters: { label: [`${LABELS.environment}=${envId}`] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
    await h?.close();
    await slowApt?.remove();
  });

  it('a delete stops the running install and destroys the environment within seconds, leaving nothing', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'SLOW-1' }, image: 'debian-12-slowapt', packages: ['curl'] } });
    expect(res.statusCode, res.body).toBe(202);
    envId = (res.json() as EnvironmentRecord).id;
    const id = envId;
    // The install step is running (and would run for ten minutes).
    await waitFor(async () => ((await h.deps.events.history(id)).some((e) => e.message.startsWith('$ apt-get update')) ? true : undefined), 60_000, 'the install to start');

    const del = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${id}`, headers: h.auth });
    expect(del.statusCode).toBe(202);
    expect(del.json()).toMatchObject({ state: 'provisioning', destroyRequested: true });
    const gone = await waitFor(async () => {
      const env = await h.deps.store.get(id);
      return env?.state === 'destroyed' ? env : undefined;
    }, 30_000, 'the environment to be destroyed');
    expect(gone.readyAt).toBeUndefined();
    const types = (await h.deps.events.history(id)).map((e) => e.type);
    expect(types).toContain('cancelled');
    expect(types).not.toContain('failed');
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${id}`] } })).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`${LABELS.environment}=${id}`] } })).toEqual([]);
  });
});
