import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { LABELS } from '../../src/provisioners/port.js';
import { createMaintenanceProcessor } from '../../src/workers/maintenanceProcessor.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/**
 * What the lifecycle does to Docker, through the API with the real BullMQ workers, Redis and
 * Docker engine; the state machine itself (TTL, extend, delete during provisioning) runs on the
 * echo provisioner in test/integration/workers/.
 */
describe('container environment lifecycle', () => {
  const docker = new Docker();
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      provisioners: { container: createDockerProvisioner({ hostId: 'test' }) },
      env: { REPRO_JOB_LOCK_MS: '3000' },
      workers: true,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const request = async (body: Record<string, unknown>): Promise<EnvironmentRecord> => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'T-1' }, image: 'debian-12', ...body } });
    expect(res.statusCode, res.body).toBe(202);
    return res.json();
  };
  const get = async (id: string): Promise<EnvironmentRecord> => (await h.app.inject({ method: 'GET', url: `/v1/environments/${id}`, headers: h.auth })).json();
  const untilState = (id: string, state: string, ms = 120_000) =>
    waitFor(async () => {
      const env = await get(id);
      if (env.state === 'failed' && state !== 'failed') throw new Error(`failed: ${env.error?.message}`);
      return env.state === state ? env : undefined;
    }, ms, `${id} to be ${state}`);
  const containersOf = async (id: string) => docker.listContainers({ all: true, filters: { label: [`${LABELS.environment}=${id}`] } });
  const networksOf = async (id: string) => docker.listNetworks({ filters: { label: [`${LABELS.environment}=${id}`] } });

  it('provisions a ticket\'s container with its packages, runs commands in it, and removes everything on delete', async () => {
    const env = await request({ packages: ['curl'] });
    const ready = await untilState(env.id, 'ready');
    expect(ready.access).toMatchObject({ name: `repro-${env.id}`, command: `repro shell ${env.id}` });

    const exec = await h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/exec`, headers: h.auth, payload: { command: ['curl', '--version'] } });
    expect(exec.statusCode).toBe(200);
    expect(exec.json()).toMatchObject({ exitCode: 0, timedOut: false });
    expect(exec.json().stdout).toMatch(/^curl \d/);

    const [container] = await containersOf(env.id);
    const info = await docker.getContainer(container!.Id).inspect();
    expect(info.Config.Labels).toMatchObject({ [LABELS.managed]: 'true', [LABELS.environment]: env.id, [LABELS.ticket]: 'generic:T-1' });
    expect(info.HostConfig.Memory).toBe(h.config.limits.memoryMb * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(h.config.limits.cpus * 1e9);
    expect(info.HostConfig.PidsLimit).toBe(h.config.limits.pids);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.Mounts).toEqual([]);
    expect(await networksOf(env.id)).toHaveLength(1);

    const events = (await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: h.auth })).json().items as Array<{ type: string; message: string }>;
    expect(events.some((e) => e.type === 'progress' && /curl/.test(e.message))).toBe(true);

    const del = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    expect(del.statusCode).toBe(202);
    const gone = await untilState(env.id, 'destroyed', 60_000);
    expect(gone.access).toBeUndefined();
    expect(await containersOf(env.id)).toEqual([]);
    expect(await networksOf(env.id)).toEqual([]);
    const again = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    expect(again.statusCode).toBe(202);
    expect(again.json().state).toBe('destroyed');
  });

  it('retries the job of a worker killed mid-provision, leaving no orphan', async () => {
    // Pause the in-process workers so the child process takes the job.
    await h.workers!.close();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/worker.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, REPRO_REDIS_PREFIX: h.config.redisPrefix, REPRO_HOST_ID: h.config.hostId, REPRO_JOB_LOCK_MS: '3000', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true,
    });
    try {
      const env = await request({ packages: ['curl'] });
      await untilState(env.id, 'provisioning', 60_000);
      process.kill(-child.pid!, 'SIGKILL');
      await h.startWorkers();
      const ready = await untilState(env.id, 'ready', 180_000);
      expect(ready.state).toBe('ready');
      expect(await containersOf(env.id)).toHaveLength(1);
      expect(await networksOf(env.id)).toHaveLength(1);
      const attempts = (await h.deps.events.history(env.id)).filter((e) => e.type === 'provisioning');
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
      await untilState(env.id, 'destroyed', 60_000);
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }
  });

  it('reconciles: removes resources carrying our labels with no live record, leaves live ones alone', async () => {
    const live = await request({});
    await untilState(live.id, 'ready');
    const provisioner = h.deps.provisioners.container!;
    const catalogImage = h.deps.catalog.get('debian-12')!;
    await provisioner.create({ envId: 'env-orphan0000', instance: h.workers!.deployment, ticket: { system: 'generic', id: 'GONE' }, image: catalogImage, packages: [], limits: { cpus: 1, memoryMb: 256, pids: 64 } }, () => undefined);
    const sweep = createMaintenanceProcessor({ ...h.deps, hostId: h.config.hostId, instance: h.workers!.deployment, log: () => undefined, warn: () => undefined });
    const report = await sweep();
    expect(report.orphans.map((o) => `${o.type}:${o.envId}`).sort()).toEqual(['container:env-orphan0000', 'network:env-orphan0000']);
    expect(await containersOf('env-orphan0000')).toEqual([]);
    expect(await networksOf('env-orphan0000')).toEqual([]);
    expect(await containersOf(live.id)).toHaveLength(1);
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${live.id}`, headers: h.auth });
    await untilState(live.id, 'destroyed', 60_000);
  });
});
