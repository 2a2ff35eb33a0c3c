import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { EnvironmentService } from '../../src/app/createEnvironmentService.js';
import { createTicketEventHandler } from '../../src/tickets/handleTicketEvents.js';
import { ticketKeys } from '../../src/tickets/ticketKeys.js';
import type { TicketEvent } from '../../src/tickets/port.js';
import { createTeardownProcessor } from '../../src/tickets/teardownProcessor.js';
import { queueNames } from '../../src/queue/names.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { testSettings } from '../support/ticketTestKit.js';

/** Ticket handling under repetition and contention, against the real Redis and BullMQ. */
describe('ticket teardown and request lock', () => {
  let h: Harness;
  let delivery = 0;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-ticket-faults-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets: { generic: { ...testSettings('generic'), teardownGrace: '1h' } } }));
    h = await startHarness({ env: { REPRO_CONFIG: join(dir, 'config.yaml') } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const base = (ticketId: string) => ({
    ticket: { system: 'generic', id: ticketId },
    deliveryId: `faults-${Date.now()}-${++delivery}`,
    author: 'agent',
  });
  const requested = (ticketId: string): TicketEvent => ({
    ...base(ticketId), type: 'repro.requested', status: { raw: 'open', state: 'open' },
    request: { image: 'debian-12', kind: 'container', packages: [] },
  });
  const closed = (ticketId: string): TicketEvent => ({ ...base(ticketId), type: 'ticket.closed', observed: false, status: { raw: 'closed', state: 'closed' } });

  it('a second close after the first teardown ran schedules a new teardown', async () => {
    const handler = h.deps.ticketing.handler;
    const queue = h.deps.queues.get(queueNames.ticketTeardown);
    expect((await handler.handle('generic', [requested('T-TWICE')]))[0]).toMatchObject({ action: 'created' });
    expect((await handler.handle('generic', [closed('T-TWICE')]))[0]).toMatchObject({ action: 'teardown-scheduled' });
    const [first] = await queue.getDelayed();
    expect(first).toBeDefined();

    // The grace period ends: the real teardown processor runs the job to completion.
    await first!.promote();
    const worker = new Worker(queueNames.ticketTeardown, createTeardownProcessor({ service: h.deps.service }), { connection: h.deps.connect(), prefix: h.deps.keys.queues });
    try {
      await waitFor(async () => ((await first!.getState()) === 'completed' ? true : undefined), 10_000, 'the first teardown to complete');
    } finally {
      await worker.close();
    }
    const [torn] = await h.deps.service.listByTicket('generic', 'T-TWICE');
    expect(torn!.state).toBe('destroying');

    // The ticket is worked on again the same day, and closed again.
    expect((await handler.handle('generic', [requested('T-TWICE')]))[0]).toMatchObject({ action: 'created' });
    expect((await handler.handle('generic', [closed('T-TWICE')]))[0]).toMatchObject({ action: 'teardown-scheduled' });
    const pending = await queue.getDelayed();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.id).toBe(first!.id);
    expect(await pending[0]!.getState()).toBe('delayed');
  });

  it('releases the per-ticket request lock only while it still holds it', async () => {
    const lock = ticketKeys(h.config.redisPrefix).lock('generic', 'T-LOCK', 'debian-12');
    // While this request runs, its lock lapses and another handler takes it.
    const service: EnvironmentService = {
      ...h.deps.service,
      async request(...args) {
        await h.deps.redis.set(lock, 'another-handler', 'PX', 10_000);
        return h.deps.service.request(...args);
      },
    };
    const handler = createTicketEventHandler({
      redis: h.deps.redis, prefix: h.config.redisPrefix, service, events: h.deps.events,
      queues: h.deps.queues, catalog: h.deps.catalog, settings: h.deps.ticketing.settings,
    });
    expect((await handler.handle('generic', [requested('T-LOCK')]))[0]).toMatchObject({ action: 'created' });
    expect(await h.deps.redis.get(lock)).toBe('another-handler');

    // Uncontended, the handler still releases its own lock.
    await h.deps.redis.del(lock);
    expect((await h.deps.ticketing.handler.handle('generic', [requested('T-LOCK-2')]))[0]).toMatchObject({ action: 'created' });
    expect(await h.deps.redis.exists(ticketKeys(h.config.redisPrefix).lock('generic', 'T-LOCK-2', 'debian-12'))).toBe(0);
  });
});
