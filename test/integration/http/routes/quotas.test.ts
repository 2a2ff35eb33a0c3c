import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { queueNames } from '../../../../src/queue/names.js';
import { createGenericAdapter } from '../../../../src/tickets/adapters/generic.js';
import { startTicketWorkers } from '../../../../src/tickets/startTicketWorkers.js';
import { startFakeTicketServer } from '../../../support/fakeTicketServer.js';
import { startHarness, waitFor, type Harness } from '../../../support/harness.js';
import { adapterDeps, testSettings } from '../../../support/ticketTestKit.js';

/** Quotas on live environments, checked in the same atomic step as the create, against the real Redis. */
describe('quotas', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (open.length) await open.pop()!();
  });

  const DEFAULTS = { REPRO_QUOTA_PER_REQUESTER: '100', REPRO_QUOTA_PER_TICKET: '100', REPRO_QUOTA_OVERALL: '100', REPRO_QUOTA_VM_PER_REQUESTER: '100', REPRO_QUOTA_VM_OVERALL: '100' };
  async function harness(quotas: Partial<typeof DEFAULTS>, env: Record<string, string> = {}): Promise<Harness> {
    const h = await startHarness({ env: { ...DEFAULTS, ...quotas, ...env } });
    open.push(() => h.close());
    return h;
  }
  const tokenOf = async (h: Harness, name: string) => ({ authorization: `Bearer ${await h.deps.tokens.issue(name, 'requester')}` });
  const post = (h: Harness, auth: Record<string, string>, ticket: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/v1/environments', headers: { ...auth, ...headers }, payload: { ticket: { system: 'generic', id: ticket }, image: 'debian-12', ...extra } });
  const recordCount = (h: Harness) => h.deps.redis.zcard(h.deps.keys.byCreation);
  const queued = async (h: Harness, kind: 'container' | 'vm' = 'container') => (await h.deps.queues.get(queueNames.provision(kind)).getJobCounts('waiting')).waiting;

  it('answers 429 naming the per-requester quota and its limit, creating nothing, and counts only live environments', async () => {
    const h = await harness({ REPRO_QUOTA_PER_REQUESTER: '2' });
    const bob = await tokenOf(h, 'bob');
    const first = await post(h, h.auth, 'Q-1', {}, { 'idempotency-key': 'first' });
    expect(first.statusCode).toBe(202);
    expect((await post(h, h.auth, 'Q-2')).statusCode).toBe(202);
    const over = await post(h, h.auth, 'Q-3');
    expect(over.statusCode).toBe(429);
    expect(over.json()).toEqual({ error: { code: 'quota_exceeded', message: expect.stringMatching(/at most 2 live environments per requester \(alice\)/) } });
    expect(await recordCount(h)).toBe(2);
    expect(await queued(h)).toBe(2);
    // A retry of an accepted request is not a new environment.
    const retry = await post(h, h.auth, 'Q-1', {}, { 'idempotency-key': 'first' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(first.json().id);
    // Someone else's quota is their own.
    expect((await post(h, bob, 'Q-4')).statusCode).toBe(202);
    // Deleted (destroying) no longer counts.
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/environments/${first.json().id}`, headers: h.auth })).statusCode).toBe(202);
    expect((await post(h, h.auth, 'Q-3')).statusCode).toBe(202);
  });

  it('limits live environments per ticket and overall', async () => {
    const h = await harness({ REPRO_QUOTA_PER_TICKET: '1', REPRO_QUOTA_OVERALL: '3' });
    const bob = await tokenOf(h, 'bob');
    const carol = await tokenOf(h, 'carol');
    expect((await post(h, h.auth, 'T-1')).statusCode).toBe(202);
    const sameTicket = await post(h, bob, 'T-1');
    expect(sameTicket.statusCode).toBe(429);
    expect(sameTicket.json().error.message).toMatch(/at most 1 live environments per ticket \(ticket generic:T-1\)/);
    expect((await post(h, bob, 'T-2')).statusCode).toBe(202);
    expect((await post(h, carol, 'T-3')).statusCode).toBe(202);
    const overall = await post(h, carol, 'T-4');
    expect(overall.statusCode).toBe(429);
    expect(overall.json().error.message).toMatch(/at most 3 live environments in all/);
    expect(await recordCount(h)).toBe(3);
  });

  it('counts VMs apart, per requester and overall', async () => {
    const h = await harness({ REPRO_QUOTA_VM_PER_REQUESTER: '1', REPRO_QUOTA_VM_OVERALL: '2' });
    const bob = await tokenOf(h, 'bob');
    const carol = await tokenOf(h, 'carol');
    expect((await post(h, h.auth, 'V-1', { kind: 'vm' })).statusCode).toBe(202);
    const second = await post(h, h.auth, 'V-2', { kind: 'vm' });
    expect(second.statusCode).toBe(429);
    expect(second.json().error.message).toMatch(/at most 1 live VMs per requester \(alice\)/);
    expect((await post(h, h.auth, 'V-2')).statusCode).toBe(202); // a container still fits
    expect((await post(h, bob, 'V-3', { kind: 'vm' })).statusCode).toBe(202);
    const third = await post(h, carol, 'V-4', { kind: 'vm' });
    expect(third.statusCode).toBe(429);
    expect(third.json().error.message).toMatch(/at most 2 live VMs in all/);
    expect(await queued(h, 'vm')).toBe(2);
  });

  it('lets exactly the quota through when requests arrive together', async () => {
    const h = await harness({ REPRO_QUOTA_PER_REQUESTER: '3' });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(h, h.auth, `C-${i}`)));
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes.filter((c) => c === 202)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(9);
    expect(await recordCount(h)).toBe(3);
    expect(await queued(h)).toBe(3);
  });

  it('tells the ticket why a /repro request over quota was refused', async () => {
    const fake = await startFakeTicketServer('generic');
    open.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), 'repro-quota-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets: { generic: { ...testSettings('generic', fake.url), locale: 'en', notifyAttempts: 2, notifyBackoff: '1s' } } }));
    const h = await harness({ REPRO_QUOTA_PER_REQUESTER: '1' }, { REPRO_CONFIG: join(dir, 'config.yaml') });
    const workers = await startTicketWorkers(h.deps, h.deps.ticketing, h.deps.connect());
    open.push(() => workers.close());
    const adapter = createGenericAdapter(testSettings('generic') as never, adapterDeps());
    const ask = (ticket: string, delivery: string) => h.deps.ticketing.handler.handle('generic', adapter.parse(
      Buffer.from(JSON.stringify({ event: 'created', ticket: { id: ticket }, author: 'jdupont', text: '/repro debian-12', delivery })),
      {},
    ));
    const [created] = await ask('QT-1', 'd-q-1');
    expect(created).toMatchObject({ action: 'created' });
    const [refused] = await ask('QT-2', 'd-q-2');
    expect(refused).toMatchObject({ action: 'rejected', ticket: 'QT-2', detail: expect.stringMatching(/per requester/) });
    expect(await h.deps.service.listByTicket('generic', 'QT-2')).toEqual([]);
    const comment = await waitFor(async () => fake.requests.find((r) => r.body.includes('quota')), 15_000, 'the over-quota comment');
    expect(JSON.parse(comment.body).text).toContain('Request rejected, quota reached: live environments per requester (limit: 1).');
    expect(comment.body).toContain('QT-2');
  });
});
