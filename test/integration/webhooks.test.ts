import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { queueNames } from '../../src/queue/names.js';
import type { Ticketing } from '../../src/tickets/buildTicketing.js';
import { startTicketWorkers } from '../../src/tickets/startTicketWorkers.js';
import { startFakeTicketServer, type FakeTicketServer } from '../support/fakeTicketServer.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { DELIVERY_TIME, TEST_SECRET, adapter, fixture, hmac, signedHeaders, testSettings } from '../support/ticketTestKit.js';

/**
 * The webhook endpoint against the real Redis, with no provisioner: environments stay
 * `requested`, which is enough to see what is created, deduplicated and torn down.
 */
describe('POST /v1/webhooks/:system', () => {
  let h: Harness;
  let ticketing: Ticketing;
  let redmineFake: FakeTicketServer;

  // A service per test: each test's tickets and deliveries are its own, whatever ran before.
  beforeEach(async () => {
    redmineFake = await startFakeTicketServer('redmine');
    const tickets = {
      glpi: testSettings('glpi'),
      redmine: { ...testSettings('redmine', redmineFake.url), teardownGrace: '1h', notifyAttempts: 2, notifyBackoff: '1s' },
      gitlab: testSettings('gitlab'),
      generic: testSettings('generic'),
    };
    const dir = mkdtempSync(join(tmpdir(), 'repro-webhooks-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets, bodyLimitBytes: 65536 }));
    h = await startHarness({ env: { REPRO_CONFIG: join(dir, 'config.yaml') } });
    ticketing = h.deps.ticketing;
  });

  afterEach(async () => {
    await h?.close();
    await redmineFake?.close();
  });

  const post = (system: string, body: Buffer, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: `/v1/webhooks/${system}`, headers, payload: body });
  const signed = (system: string, name: string) => {
    const body = fixture(system, name);
    return post(system, body, signedHeaders(system, body));
  };
  const envsOf = (system: string, id: string) => h.deps.service.listByTicket(system, id);

  it('creates one environment for a GLPI delivery without Content-Type, and none for its replay', async () => {
    const body = fixture('glpi', 'ticket-new.json');
    const headers = signedHeaders('glpi', body);
    const first = await post('glpi', body, headers);
    expect(first.statusCode).toBe(202);
    expect(first.json().outcomes[0]).toMatchObject({ type: 'repro.requested', action: 'created' });
    const again = await post('glpi', body, headers);
    expect(again.json().outcomes[0].action).toBe('duplicate-delivery');
    // GLPI re-signs with a new timestamp when it re-queues: a new delivery id, but still one environment per ticket and image.
    const resent = await post('glpi', body, { ...headers, ...signedHeadersAt(body, String(DELIVERY_TIME + 1)) });
    expect(resent.json().outcomes[0].action).toBe('already-live');
    expect(await envsOf('glpi', '42')).toHaveLength(1);
    const [env] = await envsOf('glpi', '42');
    expect(env).toMatchObject({ image: 'debian-12', packages: ['nginx', 'php8.2'], requester: 'glpi:jdupont', ticket: { system: 'glpi', id: '42', title: 'Export CSV en erreur 500' } });
    // `--new` asks for another one on purpose; its own replay still creates nothing more.
    const another = Buffer.from(body.toString('utf8').replace(/(\\?\/repro debian-12)/, '$1 --new'));
    expect(another.equals(body)).toBe(false);
    const added = await post('glpi', another, signedHeaders('glpi', another));
    expect(added.json().outcomes[0]).toMatchObject({ action: 'created' });
    expect((await post('glpi', another, signedHeaders('glpi', another))).json().outcomes[0].action).toBe('duplicate-delivery');
    expect(await envsOf('glpi', '42')).toHaveLength(2);
  });

  it('answers the GLPI crc_token challenge GLPI sends', async () => {
    const token = hmac('sha256', TEST_SECRET, 'validate_cra_challenge');
    const res = await h.app.inject({ method: 'GET', url: `/v1/webhooks/glpi?crc_token=${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(hmac('sha256', TEST_SECRET, token));
  });

  it('will not sign a forged GLPI delivery through the challenge, so the forgery cannot be posted', async () => {
    const forged = Buffer.from(fixture('glpi', 'ticket-new.json').toString('utf8').replace('"id": 42,', '"id": 4242,'));
    expect(forged.toString()).toContain('"id": 4242,');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const asked = await h.app.inject({ method: 'GET', url: '/v1/webhooks/glpi', query: { crc_token: `${forged.toString('utf8')}${timestamp}` } });
    expect(asked.statusCode).toBe(400);
    expect(asked.json().error).toMatchObject({ code: 'invalid_request', field: 'crc_token' });
    const posted = await post('glpi', forged, { 'x-glpi-signature': asked.body, 'x-glpi-timestamp': timestamp });
    expect(posted.statusCode).toBe(401);
    expect(await envsOf('glpi', '4242')).toEqual([]);
  });

  it('refuses a validly signed GLPI delivery whose timestamp is outside webhooks.maxSkew, and changes nothing', async () => {
    const body = Buffer.from(fixture('glpi', 'ticket-new.json').toString('utf8').replace('"id": 42,', '"id": 4343,'));
    for (const offset of [-301, 301]) {
      const res = await post('glpi', body, signedHeadersAt(body, String(Math.floor(Date.now() / 1000) + offset)));
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toContain('X-GLPI-timestamp');
    }
    expect(await envsOf('glpi', '4343')).toEqual([]);
    // The same delivery signed now is accepted: only its age was refused.
    expect((await post('glpi', body, signedHeadersAt(body, String(Math.floor(Date.now() / 1000))))).json().outcomes[0].action).toBe('created');
  });

  it('a replayed delivery with a new (unsigned) delivery id header does not act again', async () => {
    const body = Buffer.from(JSON.stringify({ event: 'commented', ticket: { id: 'REPLAY-1' }, author: 'jdupont', text: '/repro debian-12 --new' }));
    const headers = signedHeaders('generic', body);
    const first = await post('generic', body, { ...headers, 'x-repro-delivery': 'delivery-1' });
    expect(first.json().outcomes[0].action).toBe('created');
    const replayed = await post('generic', body, { ...headers, 'x-repro-delivery': 'delivery-2' });
    expect(replayed.statusCode).toBe(202);
    expect(replayed.json().outcomes[0].action).toBe('duplicate-delivery');
    expect(await envsOf('generic', 'REPLAY-1')).toHaveLength(1);
  });

  it('refuses a Redmine delivery whose signed body timestamp is old', async () => {
    const old = Buffer.from(fixture('redmine', 'issue-created.json').toString('utf8')
      .replace(/"timestamp":"[^"]*"/, `"timestamp":"${new Date(Date.now() - 3_600_000).toISOString()}"`).replace('"id":1234,', '"id":4444,'));
    expect(old.toString()).toContain('"id":4444,');
    const res = await post('redmine', old, signedHeaders('redmine', old));
    expect(res.statusCode).toBe(401);
    expect(await envsOf('redmine', '4444')).toEqual([]);
  });

  it('sees GLPI status transitions from the current status only', async () => {
    await signed('glpi', 'ticket-new.json');
    const ticket = (status: number) => Buffer.from(fixture('glpi', 'ticket-update-inprogress.json').toString().replace('"id": 2,', `"id": ${status},`));
    const send = (b: Buffer) => post('glpi', b, signedHeaders('glpi', b));
    expect((await send(ticket(2))).json().outcomes[0].action).toBe('ignored-no-change'); // open → open
    expect((await send(ticket(5))).json().outcomes[0]).toMatchObject({ type: 'ticket.resolved', action: 'teardown' });
    expect((await envsOf('glpi', '42'))[0]!.state).toBe('destroying');
    const closedLater = Buffer.from(fixture('glpi', 'ticket-update-solved.json').toString().replace('"id": 5,', '"id": 6,'));
    expect((await send(closedLater)).json().outcomes[0].action).toBe('ignored-no-change'); // resolved → closed: already torn down
  });

  it('schedules the teardown after the grace period and a reopen cancels it (Redmine)', async () => {
    expect((await signed('redmine', 'issue-created.json')).json().outcomes[0].action).toBe('created');
    const closed = await signed('redmine', 'issue-updated-closed.json');
    expect(closed.json().outcomes[0]).toMatchObject({ action: 'teardown-scheduled' });
    const pending = await h.deps.queues.get(queueNames.ticketTeardown).getJobCounts('delayed');
    expect(pending.delayed).toBe(1);
    const reopenBody = Buffer.from(fixture('redmine', 'issue-updated-closed.json').toString()
      .replace('"is_closed":true', '"is_closed":false').replace('"id":902', '"id":903'));
    const reopened = await post('redmine', reopenBody, signedHeaders('redmine', reopenBody));
    expect(reopened.json().outcomes[0]).toMatchObject({ type: 'ticket.reopened', action: 'teardown-cancelled' });
    expect((await h.deps.queues.get(queueNames.ticketTeardown).getJobCounts('delayed')).delayed).toBe(0);
    const [env] = await envsOf('redmine', '1234');
    expect(env!.state).toBe('requested');
    const history = await h.deps.events.history(env!.id);
    expect(history.map((e) => e.type)).toEqual(expect.arrayContaining(['ticket.teardown-scheduled', 'ticket.teardown-cancelled']));
  });

  it('a close for a ticket it never saw is a no-op', async () => {
    const res = await signed('gitlab', 'issue-close.json');
    expect(res.statusCode).toBe(202);
    expect(res.json().outcomes[0]).toMatchObject({ action: 'no-environment' });
  });

  it('never tears down another ticket\'s environment', async () => {
    const body = fixture('generic', 'created.json');
    await post('generic', body, signedHeaders('generic', body));
    const other = Buffer.from(JSON.stringify({ event: 'closed', ticket: { id: 'INC-2026-0099' }, author: 'x' }));
    expect((await post('generic', other, signedHeaders('generic', other))).json().outcomes[0].action).toBe('no-environment');
    expect((await envsOf('generic', 'INC-2026-0042'))[0]!.state).toBe('requested');
  });

  it.each([
    ['an unknown system', 'youtrack', 404, 'ticket system youtrack does not exist'],
    ['a system that is not configured', 'zammad', 404, 'ticket system zammad is not configured on this service (tickets.zammad)'],
  ])('answers 404 for %s', async (_what, system, status, message) => {
    const body = Buffer.from('{}');
    const res = await post(system, body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.message).toBe(message);
  });

  it('answers 401 for a missing or wrong signature and creates nothing', async () => {
    const body = fixture('generic', 'created-unknown-flag.json');
    expect((await post('generic', body, { 'content-type': 'application/json' })).statusCode).toBe(401);
    const wrong = await post('generic', body, signedHeaders('generic', body, 'not-the-secret-at-all'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('unauthorized');
    expect(await envsOf('generic', 'INC-2026-0044')).toEqual([]);
  });

  it('answers 400 for a signed body that is not JSON or has a wrong id type', async () => {
    const garbage = Buffer.from('not json at all');
    expect((await post('generic', garbage, signedHeaders('generic', garbage))).statusCode).toBe(400);
    const numeric = Buffer.from(JSON.stringify({ event: 'created', ticket: { id: 42 }, author: 'x', text: '/repro debian-12' }));
    const res = await post('generic', numeric, signedHeaders('generic', numeric));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe('ticket.id');
  });

  it('accepts a large delivery and answers 413 above the 1 MiB webhook limit', async () => {
    const large = Buffer.from(JSON.stringify({ event: 'commented', ticket: { id: 'LARGE' }, author: 'x', text: `${'log line\n'.repeat(20_000)}` }));
    expect((await post('generic', large, signedHeaders('generic', large))).statusCode).toBe(202);
    const huge = Buffer.from(JSON.stringify({ event: 'created', ticket: { id: 'BIG' }, text: 'x'.repeat(1_100_000) }));
    const res = await post('generic', huge, signedHeaders('generic', huge));
    expect(res.statusCode).toBe(413);
    expect(await envsOf('generic', 'BIG')).toEqual([]);
  });

  it('rejects a /repro line with metacharacters or unknown flags by a comment, not an environment', async () => {
    for (const name of ['created-metachar.json', 'created-unknown-flag.json']) {
      const res = await signed('generic', name);
      expect(res.statusCode).toBe(202);
      expect(res.json().outcomes[0].action).toBe('rejected');
    }
    expect(await envsOf('generic', 'INC-2026-0043')).toEqual([]);
    const notify = await h.deps.queues.get(queueNames.notify).getJobs(['waiting', 'delayed']);
    expect(notify.filter((j) => j.data.kind === 'rejected').map((j) => j.data.ticket.id)).toEqual(expect.arrayContaining(['INC-2026-0043', 'INC-2026-0044']));
  });

  it('records that no comment was posted for a generic system without commentUrl', async () => {
    expect((await signed('generic', 'created.json')).statusCode).toBe(202);
    const adapters = new Map(ticketing.adapters).set('generic', adapter('generic', { commentUrl: undefined }));
    const workers = await startTicketWorkers(h.deps, { ...ticketing, adapters }, h.deps.connect());
    try {
      const [env] = await envsOf('generic', 'INC-2026-0042');
      const notified = await waitFor(async () => {
        const events = await h.deps.events.history(env!.id);
        return events.find((e) => e.type.startsWith('notify.'));
      }, 20_000, 'a notify event');
      expect(notified).toMatchObject({ type: 'notify.skipped', message: 'accepted comment not posted on generic:INC-2026-0042: generic is set up to take no comments' });
    } finally {
      await workers.close();
    }
  });

  it('records a comment that keeps failing in the environment events and the metric', async () => {
    await signed('redmine', 'issue-created.json');
    redmineFake.failNext(503, 10);
    const workers = await startTicketWorkers(h.deps, ticketing, h.deps.connect());
    try {
      const [env] = await envsOf('redmine', '1234');
      const failed = await waitFor(async () => {
        const events = await h.deps.events.history(env!.id);
        return events.find((e) => e.type === 'notify.failed');
      }, 20_000, 'notify.failed event');
      expect(failed.message).toContain('503');
      const metrics = await h.deps.metrics.registry.getSingleMetricAsString('repro_notify_failures_total');
      expect(metrics).toContain('system="redmine",final="true"');
      // BullMQ's own total, exported at /metrics, counts it once the job has moved to failed.
      const failedTotal = /bullmq_job_failed_total\{queue="notify"\} (\d+)/;
      const exported = await waitFor(async () => {
        const text = await h.deps.queues.prometheusMetrics();
        return Number(failedTotal.exec(text)?.[1] ?? 0) > 0 ? text : undefined;
      }, 5_000, 'the notify queue\'s failed total');
      expect(exported).toMatch(/bullmq_job_failed_total\{queue="notify"\} [1-9]/);
    } finally {
      await workers.close();
    }
  });
});

function signedHeadersAt(body: Buffer, timestamp: string): Record<string, string> {
  return { 'x-glpi-signature': hmac('sha256', TEST_SECRET, body, timestamp), 'x-glpi-timestamp': timestamp };
}
