import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Ticketing } from '../../src/tickets/buildTicketing.js';
import { createGenericAdapter } from '../../src/tickets/adapters/generic.js';
import { startTicketWorkers } from '../../src/tickets/startTicketWorkers.js';
import { startFakeTicketServer, type FakeTicketServer } from '../support/fakeTicketServer.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { adapterDeps, testSettings } from '../support/ticketTestKit.js';

/** Notices that do not need a provisioner: "expiring soon", its cancellation by an extension, concurrent requests. */
describe('ticket notices', () => {
  let h: Harness;
  let ticketing: Ticketing;
  let fake: FakeTicketServer;
  let workers: { close(): Promise<void> };

  beforeAll(async () => {
    fake = await startFakeTicketServer('generic');
    const dir = mkdtempSync(join(tmpdir(), 'repro-notices-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets: { generic: { ...testSettings('generic', fake.url), expiryNoticeLead: '1m', locale: 'en', notifyAttempts: 2, notifyBackoff: '1s' } } }));
    h = await startHarness({ env: { REPRO_CONFIG: join(dir, 'config.yaml') } });
    ticketing = h.deps.ticketing;
    workers = await startTicketWorkers(h.deps, ticketing, h.deps.connect());
  });

  afterAll(async () => {
    await workers?.close();
    await h?.close();
    await fake?.close();
  });

  // Deliveries are told apart by their bytes: `delivery` makes each one distinct.
  const requestFor = (id: string, delivery: string) => {
    const adapter = createGenericAdapter(testSettings('generic') as never, adapterDeps());
    const body = Buffer.from(JSON.stringify({ event: 'created', ticket: { id }, author: 'jdupont', text: '/repro debian-12', delivery }));
    return ticketing.handler.handle('generic', adapter.parse(body, {}));
  };

  it('posts "expiring soon" before the expiry, and not for an expiry an extension replaced', async () => {
    const [outcome] = await requestFor('EXP-1', 'd-exp-1');
    const envId = outcome!.envIds![0]!;
    await h.deps.service.extend(envId, '64s', 'alice'); // notice due in about 4 s
    await h.deps.service.extend(envId, '63s', 'alice'); // replaces it: notice due in about 3 s
    const expiring = await waitFor(async () => {
      const found = fake.requests.filter((r) => r.body.includes('will be destroyed on'));
      return found.length > 0 ? found : undefined;
    }, 15_000, 'expiring notice');
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.requests.filter((r) => r.body.includes('will be destroyed on'))).toHaveLength(1);
    const record = await h.deps.store.require(envId);
    expect(JSON.parse(expiring[0]!.body).text).toContain(record.id);
  });

  it('creates one environment for two deliveries of the same request arriving together', async () => {
    const outcomes = await Promise.all([requestFor('RACE-1', 'd-race-1'), requestFor('RACE-1', 'd-race-2')]);
    expect(outcomes.flat().map((o) => o.action).sort()).toEqual(['already-live', 'created']);
    expect(await h.deps.service.listByTicket('generic', 'RACE-1')).toHaveLength(1);
  });
});
