import { afterEach, describe, expect, it } from 'vitest';
import { ReproError, UnauthorizedError } from '../../../src/domain/errors.js';
import { TICKET_SYSTEMS, type TicketSystem } from '../../../src/tickets/settings.js';
import { startFakeTicketServer, type FakeTicketServer } from '../../support/fakeTicketServer.js';
import { fixture, request, signedHeaders, testSettings, adapter, postInternalComment } from '../../support/ticketTestKit.js';

// One delivery per system, used for the checks every adapter must pass the same way.
const SAMPLE: Record<TicketSystem, string> = {
  glpi: 'ticket-new.json', redmine: 'issue-created.json', jira: 'issue-created.json', gitlab: 'issue-open.json',
  zammad: 'ticket-created.json', mantis: 'report.json', rt: 'create.json', generic: 'created.json',
};
const TICKET: Record<TicketSystem, string> = {
  glpi: '42', redmine: '1234', jira: 'OPS-42', gitlab: '14#23', zammad: '81', mantis: '5678', rt: '91', generic: 'INC-2026-0042',
};

describe.each(TICKET_SYSTEMS)('%s adapter contract', (system) => {
  const body = fixture(system, SAMPLE[system]);
  let fake: FakeTicketServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('accepts a delivery signed with the secret', () => {
    expect(() => adapter(system).verify(request(body, signedHeaders(system, body)))).not.toThrow();
  });

  it('rejects a wrong signature, a missing one and a tampered body with 401', () => {
    const a = adapter(system);
    expect(() => a.verify(request(body, signedHeaders(system, body, 'another-secret-value')))).toThrow(UnauthorizedError);
    expect(() => a.verify(request(body, {}))).toThrow(UnauthorizedError);
    // GitLab's token is a shared secret, not a signature over the body: nothing to tamper with.
    if (system === 'gitlab') return;
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    expect(() => a.verify(request(tampered, signedHeaders(system, body)))).toThrow(UnauthorizedError);
  });

  it('turns the sample delivery into a request for the right ticket', () => {
    const events = adapter(system).parse(body, request(body, signedHeaders(system, body)).headers);
    const requested = events.find((e) => e.type === 'repro.requested');
    expect(requested?.ticket.id).toBe(TICKET[system]);
    expect(requested?.ticket.system).toBe(system);
    expect(requested?.deliveryId).toMatch(new RegExp(`^${system}:`));
  });

  it('gives a replayed delivery the same delivery id', () => {
    const a = adapter(system);
    const headers = request(body, signedHeaders(system, body)).headers;
    expect(a.parse(body, headers)[0]?.deliveryId).toBe(a.parse(Buffer.from(body), headers)[0]?.deliveryId);
  });

  it('answers 400 material for a body that is not JSON', () => {
    expect(() => adapter(system).parse(Buffer.from('{"half'), {})).toThrow(ReproError);
  });

  it('parses a huge body without trouble or ignores it, never crashing', () => {
    // The route caps bodies (bodyLimitBytes); the adapter itself must stay linear on what it gets.
    const huge = Buffer.from(JSON.stringify({ padding: 'x'.repeat(2_000_000) }));
    const started = Date.now();
    try {
      adapter(system).parse(huge, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ReproError);
    }
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('posts an internal comment to the fake comment API', async () => {
    const requests = await postInternalComment(system, TICKET[system], 'hello from repro\nsecond line');
    // GLPI v1 opens and closes a session around the comment; the comment is the request that carries the text.
    const comment = requests.find((r) => r.body.includes('hello from repro'))!;
    expect(comment.method === 'POST' || comment.method === 'PUT').toBe(true);
    expect(JSON.stringify(comment.headers)).not.toContain(testSettings(system)['webhookSecret'] as string);
  });

  it('maps a 5xx and a 429 to retryable errors and a 4xx to a final one', async () => {
    fake = await startFakeTicketServer(system);
    const a = adapter(system, {}, fake.url);
    const ticket = { system, id: TICKET[system] };
    for (const [status, retryable] of [[503, true], [429, true], [404, false]] as const) {
      fake.failNext(status);
      const err = await a.postComment(ticket, 'x', { internal: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReproError);
      expect((err as ReproError).retryable).toBe(retryable);
    }
  });

  it('maps an unreachable server to a retryable error', async () => {
    const err = await adapter(system, {}, 'http://127.0.0.1:9').postComment({ system, id: TICKET[system] }, 'x', { internal: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReproError);
    expect((err as ReproError).retryable).toBe(true);
  });
});
