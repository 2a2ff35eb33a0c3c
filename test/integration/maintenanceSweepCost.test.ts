import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createEchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import type { Provisioner } from '../../src/provisioners/port.js';
import type { Queues } from '../../src/queue/createQueues.js';
import { createEnvironmentStore } from '../../src/store/environmentStore.js';
import { createMaintenanceProcessor } from '../../src/workers/maintenanceProcessor.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/**
 * The maintenance sweep's cost does not grow with the number of live environments: one provider
 * listing and the same number of Redis commands with 10 and with 200 ready environments, against
 * the real Redis and workers (echo provisioner).
 */
describe('maintenance sweep cost', () => {
  const echo = createEchoProvisioner();
  let h: Harness;
  let conn: Redis;

  beforeAll(async () => {
    h = await startHarness({
      provisioners: { container: echo }, workers: true,
      env: { REPRO_QUOTA_PER_REQUESTER: '1000', REPRO_QUOTA_PER_TICKET: '1000', REPRO_QUOTA_OVERALL: '1000' },
    });
    // The sweep's own connection (closed with the harness), so commands of the workers on the shared one are not counted.
    conn = h.deps.connect('sweep');
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A sweep whose Redis commands, provider calls and queue look-ups are counted. */
  function countedSweep(clock = h.deps.clock) {
    const counts = { redis: 0, list: 0, remove: 0, hasJob: 0 };
    const send = conn.sendCommand.bind(conn);
    conn.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
      counts.redis++;
      return send(...args);
    }) as Redis['sendCommand'];
    const provisioner: Provisioner = {
      ...echo,
      list: () => { counts.list++; return echo.list(); },
      remove: (r) => { counts.remove++; return echo.remove(r); },
    };
    const queues: Queues = { ...h.deps.queues, hasJob: (queue, id) => { counts.hasJob++; return h.deps.queues.hasJob(queue, id); } };
    const sweep = createMaintenanceProcessor({
      ...h.deps, redis: conn, store: createEnvironmentStore(conn, h.deps.keys, clock, 3600), queues, clock,
      provisioners: { container: provisioner }, hostId: h.config.hostId, instance: h.workers!.deployment, log: () => undefined, warn: () => undefined,
    });
    return {
      counts,
      async run() {
        const report = await sweep();
        conn.sendCommand = send;
        return report;
      },
    };
  }

  async function growTo(n: number): Promise<void> {
    const have = (await h.deps.store.countByState()).ready;
    await Promise.all(Array.from({ length: n - have }, (_, i) => h.deps.service.request({ ticket: { system: 'generic', id: `S-${have + i}` }, image: 'debian-12' }, 'alice')));
    await waitFor(async () => ((await h.deps.store.countByState()).ready === n ? true : undefined), 60_000, `${n} ready environments`);
  }

  it('lists each provider once and sends as many Redis commands with 200 live environments as with 10', async () => {
    await growTo(10);
    await countedSweep().run(); // the store's one-time index check is not part of a sweep's cost
    const small = countedSweep();
    const smallReport = await small.run();
    expect(smallReport).toEqual({ expired: [], requeued: [], gaveUp: [], orphans: [], pruned: 0 });

    await growTo(200);
    const large = countedSweep();
    const largeReport = await large.run();
    expect(largeReport).toEqual({ expired: [], requeued: [], gaveUp: [], orphans: [], pruned: 0 });
    expect(large.counts.list).toBe(1);
    expect(large.counts).toEqual(small.counts);
    expect(large.counts.redis).toBeLessThanOrEqual(12);
  }, 120_000);

  it('still finds the overdue, the lost and the orphaned among them', async () => {
    // A record whose provision job was never enqueued (its process died in between).
    const { kind, image, packages, resources, requester } = await h.deps.store.require((await h.deps.store.idsInState('ready'))[0]!);
    const now = new Date().toISOString();
    const lost = await h.deps.store.create({
      kind, image, packages, resources, requester,
      id: 'env-lostjob0000', state: 'requested', ticket: { system: 'generic', id: 'LOST' }, createdAt: now, updatedAt: now,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    }, { type: 'requested', actor: 'test', message: 'no job' });
    expect(lost.created).toBe(true);
    // Resources of our deployment with no record.
    await echo.create({ envId: 'env-orphan0000', instance: h.workers!.deployment, ticket: { system: 'generic', id: 'GONE' }, image: h.deps.catalog.get('debian-12')!, packages: [], limits: { cpus: 1, memoryMb: 256, pids: 64 } }, () => undefined);
    const later = { now: () => new Date(Date.now() + 120_000) };
    const report = await countedSweep(later).run();
    expect(report.requeued).toEqual(['env-lostjob0000']);
    expect(report.orphans.map((o) => o.envId)).toEqual(['env-orphan0000']);
    expect(report.expired).toEqual([]);

    // Past every expiry: each live environment is destroyed by the sweep.
    const live = (await h.deps.store.overdue(new Date(Date.now() + 86_400_000 * 365))).map((e) => e.id).sort();
    expect(live.length).toBe(201);
    const expired = await countedSweep({ now: () => new Date(Date.now() + 86_400_000 * 365) }).run();
    expect(expired.expired.sort()).toEqual(live);
    expect((await h.deps.store.overdue(new Date(Date.now() + 86_400_000 * 365))).length).toBe(0);
  }, 120_000);
});
