import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { LABELS, type Provisioner } from '../../src/provisioners/port.js';
import { ensureDeploymentId } from '../../src/store/deploymentId.js';
import { createMaintenanceProcessor } from '../../src/workers/maintenanceProcessor.js';
import { deleteKeys, startHarness, waitFor, type Harness } from '../support/harness.js';
import { ownRedis, type OwnRedis } from '../support/redisServer.js';

/**
 * Two deployments of repro on one Docker engine with the same key prefix (as two installs with
 * the default prefix would be), each with its own Redis: the orphan sweep of each removes only
 * its own orphans, never the other's live environment, and nothing at all once its Redis is reset.
 */
describe('orphan sweep ownership', () => {
  const docker = new Docker();
  const made: string[] = [];
  let redisB: OwnRedis;
  let a: Harness;
  let b: Harness;
  let deploymentA: string;
  let deploymentB: string;

  beforeAll(async () => {
    a = await startHarness({ provisioners: { container: createDockerProvisioner({ hostId: 'test' }) } });
    redisB = await ownRedis();
    await redisB.start();
    b = await startHarness({
      provisioners: { container: createDockerProvisioner({ hostId: 'test' }) },
      env: { REDIS_URL: redisB.url, REPRO_REDIS_PREFIX: a.config.redisPrefix },
    });
    deploymentA = (await a.startWorkers()).deployment ?? a.config.redisPrefix;
    deploymentB = (await b.startWorkers()).deployment ?? b.config.redisPrefix;
  });
  afterAll(async () => {
    for (const envId of made) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${envId}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const n of await docker.listNetworks({ filters: { label: [`${LABELS.environment}=${envId}`] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
    await a?.close();
    await b?.close();
    await redisB?.close();
  });

  const sweepOf = (h: Harness, instance: string, halts: string[] = []) => createMaintenanceProcessor({
    ...h.deps, hostId: h.config.hostId, instance, log: () => undefined, warn: (msg, data) => halts.push(`${msg}: ${String(data?.['reason'])}`),
  });
  const orphan = async (provisioner: Provisioner, instance: string): Promise<string> => {
    const envId = `env-orph${randomBytes(4).toString('hex')}`;
    made.push(envId);
    await provisioner.create({ envId, instance, ticket: { system: 'generic', id: 'GONE' }, image: a.deps.catalog.get('debian-12')!, packages: [], limits: { cpus: 1, memoryMb: 256, pids: 64 } }, () => undefined);
    return envId;
  };
  const containersOf = (envId: string) => docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${envId}`] } });

  it('gives each deployment its own id, kept in its Redis', async () => {
    expect(deploymentA).not.toBe(deploymentB);
    expect(deploymentA).not.toBe(a.config.redisPrefix);
    expect(await a.deps.redis.get(a.deps.keys.deployment)).toBe(deploymentA);
    expect(await b.deps.redis.get(b.deps.keys.deployment)).toBe(deploymentB);
  });

  it('each sweep reaps its own orphans only, and never the other deployment\'s live environment', async () => {
    const res = await b.app.inject({ method: 'POST', url: '/v1/environments', headers: b.auth, payload: { ticket: { system: 'generic', id: 'LIVE-B' }, image: 'debian-12' } });
    expect(res.statusCode, res.body).toBe(202);
    const liveB = (res.json() as EnvironmentRecord).id;
    made.push(liveB);
    await waitFor(async () => ((await b.deps.store.get(liveB))?.state === 'ready' ? true : undefined), 120_000, 'B\'s environment to be ready');
    const [container] = await containersOf(liveB);
    expect(container!.Labels[LABELS.instance]).toBe(deploymentB);

    const orphanA = await orphan(a.deps.provisioners.container!, deploymentA);
    const reportB = await sweepOf(b, deploymentB)();
    expect(reportB.orphans).toEqual([]);
    expect(await containersOf(orphanA)).toHaveLength(1);

    const reportA = await sweepOf(a, deploymentA)();
    expect(reportA.orphans.map((o) => `${o.type}:${o.envId}`).sort()).toEqual([`container:${orphanA}`, `network:${orphanA}`]);
    expect(await containersOf(orphanA)).toEqual([]);
    expect(await containersOf(liveB)).toHaveLength(1);
    expect((await b.deps.store.get(liveB))?.state).toBe('ready');
  });

  it('a sweep whose Redis was reset stops and says why, reaping nothing', async () => {
    // A deployment of its own: resetting A's Redis would break the other tests. Its id is made as
    // its workers would make it, without starting them (their first sweep would race the orphan).
    const c = await startHarness({ provisioners: { container: createDockerProvisioner({ hostId: 'test' }) } });
    try {
      const deploymentC = (await ensureDeploymentId(c.deps.redis, c.deps.keys)).id;
      const orphanC = await orphan(c.deps.provisioners.container!, deploymentC);
      // The records are gone (an emptied or replaced Redis): every resource would look orphaned.
      await deleteKeys(c.deps.redis, c.config.redisPrefix);
      const halts: string[] = [];
      const report = await sweepOf(c, deploymentC, halts)();
      expect(report.orphans).toEqual([]);
      expect(report.halted).toMatch(/deployment marker .* is missing/);
      expect(halts).toHaveLength(1);
      expect(await containersOf(orphanC)).toHaveLength(1);

      // Another deployment's id in the marker stops it too.
      await c.deps.redis.set(c.deps.keys.deployment, 'dep-someoneelse');
      expect((await sweepOf(c, deploymentC)()).halted).toMatch(/names dep-someoneelse/);
      expect(await containersOf(orphanC)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});
