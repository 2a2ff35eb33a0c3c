import { describe, expect, it } from 'vitest';
import { UnauthorizedError, ValidationError } from '../../../src/domain/errors.js';
import type { TicketAdapter } from '../../../src/tickets/port.js';
import { validateTicketsConfig, type TicketSystem } from '../../../src/tickets/settings.js';
import { TEST_SECRET, DELIVERY_TIME, adapterDeps, fixture, hmac, request, signedHeaders, testSettings, adapter } from '../../support/ticketTestKit.js';

/** An adapter whose clock says `nowSeconds`, with the default 5-minute window unless its settings name another. */
function adapterAt(system: TicketSystem, nowSeconds: number, overrides: Record<string, unknown> = {}): TicketAdapter {
  return adapter(system, overrides, undefined, adapterDeps({ now: () => new Date(nowSeconds * 1000) }));
}

/** Verifies then parses, as the webhook route does. */
function deliverAt(system: TicketSystem, body: Buffer, nowSeconds: number, headers = signedHeaders(system, body)) {
  const a = adapterAt(system, nowSeconds);
  const req = request(body, headers);
  a.verify(req);
  return a.parse(req.rawBody, req.headers);
}

describe('GLPI crc_token challenge', () => {
  const glpi = adapterAt('glpi', DELIVERY_TIME);

  it('answers a token shaped like GLPI\'s (hex HMAC-SHA256 of "validate_cra_challenge") as GLPI checks it', () => {
    const token = hmac('sha256', TEST_SECRET, 'validate_cra_challenge');
    expect(glpi.challenge!({ crc_token: token })).toBe(hmac('sha256', TEST_SECRET, token));
  });

  it('refuses to sign a delivery body followed by a timestamp, which would be a valid X-GLPI-signature', () => {
    const forged = `${fixture('glpi', 'ticket-new.json').toString('utf8')}${DELIVERY_TIME}`;
    expect(() => glpi.challenge!({ crc_token: forged })).toThrow(ValidationError);
  });

  it.each([
    ['upper-case hex', 'A'.repeat(64)],
    ['63 hex digits', 'a'.repeat(63)],
    ['65 hex digits', 'a'.repeat(65)],
    ['a short word', 'abc'],
    ['empty', ''],
  ])('refuses %s with a 400 naming crc_token', (_what, token) => {
    const err = (() => { try { glpi.challenge!({ crc_token: token }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('crc_token');
  });

  it('refuses a repeated crc_token (an array from the query string)', () => {
    const token = 'a'.repeat(64);
    expect(() => glpi.challenge!({ crc_token: [token, token] as unknown as string })).toThrow(ValidationError);
  });
});

describe('signed timestamps outside webhooks.maxSkew', () => {
  const body = fixture('glpi', 'ticket-new.json');

  it('GLPI: accepts a delivery signed within 5 minutes, either side', () => {
    expect(deliverAt('glpi', body, DELIVERY_TIME + 299)[0]?.type).toBe('repro.requested');
    expect(deliverAt('glpi', body, DELIVERY_TIME - 299)[0]?.type).toBe('repro.requested');
  });

  it('GLPI: refuses a validly signed delivery replayed after the window, and one from the future', () => {
    expect(() => deliverAt('glpi', body, DELIVERY_TIME + 301)).toThrow(UnauthorizedError);
    expect(() => deliverAt('glpi', body, DELIVERY_TIME - 301)).toThrow(UnauthorizedError);
  });

  it('GLPI: tickets.glpi.maxSkew widens the window for GLPI alone', () => {
    const widened = adapterAt('glpi', DELIVERY_TIME + 1200, { maxSkew: '30m' });
    const req = request(body, signedHeaders('glpi', body));
    expect(() => widened.verify(req)).not.toThrow();
    const jira = fixture('jira', 'issue-created.json');
    expect(() => deliverAt('jira', jira, DELIVERY_TIME + 1200)).toThrow(UnauthorizedError);
    expect(() => validateTicketsConfig({ glpi: { ...testSettings('glpi'), maxSkew: 'later' } })).toThrow(/tickets.glpi.maxSkew/);
  });

  it('GLPI: refuses a timestamp that is not Unix seconds before computing anything', () => {
    const ts = `${DELIVERY_TIME}.5`;
    const headers = { 'x-glpi-signature': hmac('sha256', TEST_SECRET, body, ts), 'x-glpi-timestamp': ts };
    expect(() => deliverAt('glpi', body, DELIVERY_TIME, headers)).toThrow('X-GLPI-timestamp must be a Unix time in seconds');
  });

  it('Redmine: refuses a delivery whose signed body timestamp is outside the window', () => {
    const created = fixture('redmine', 'issue-created.json');
    expect(deliverAt('redmine', created, DELIVERY_TIME + 60)[0]?.type).toBe('repro.requested');
    expect(() => deliverAt('redmine', created, DELIVERY_TIME + 301)).toThrow(UnauthorizedError);
  });

  it('Redmine: a timestamp that is not a time is a 400 naming it', () => {
    const bad = Buffer.from(fixture('redmine', 'issue-created.json').toString().replace(/"timestamp":"[^"]*"/, '"timestamp":"yesterday"'));
    expect(() => deliverAt('redmine', bad, DELIVERY_TIME)).toThrow(expect.objectContaining({ field: 'timestamp', status: 400 }));
  });

  it('Jira: refuses a delivery whose signed body timestamp (ms) is outside the window', () => {
    const created = fixture('jira', 'issue-created.json');
    expect(deliverAt('jira', created, DELIVERY_TIME - 60)[0]?.type).toBe('repro.requested');
    expect(() => deliverAt('jira', created, DELIVERY_TIME + 301)).toThrow(UnauthorizedError);
    const text = Buffer.from(created.toString().replace(/^\{"timestamp":[0-9]+/, `{"timestamp":"${DELIVERY_TIME * 1000}"`));
    expect(() => deliverAt('jira', text, DELIVERY_TIME)).toThrow(expect.objectContaining({ field: 'timestamp', status: 400 }));
  });

  it.each(['mantis', 'rt'] as const)('%s (our plugin / Scrip): refuses a delivery whose signed sent_at is outside the window', (system) => {
    const body = fixture(system, system === 'mantis' ? 'report.json' : 'create.json');
    expect(body.toString()).toContain(`"sent_at":${DELIVERY_TIME},`);
    expect(deliverAt(system, body, DELIVERY_TIME + 120)[0]?.type).toBe('repro.requested');
    expect(() => deliverAt(system, body, DELIVERY_TIME + 301)).toThrow(UnauthorizedError);
  });

  it('generic: sent_at is optional, checked when present, and must be Unix seconds', () => {
    const json = { event: 'created', ticket: { id: 'INC-1' }, author: 'x', text: '/repro debian-12' };
    const at = (sentAt: unknown) => Buffer.from(JSON.stringify({ ...json, sent_at: sentAt }));
    expect(deliverAt('generic', Buffer.from(JSON.stringify(json)), DELIVERY_TIME)[0]?.type).toBe('repro.requested');
    expect(deliverAt('generic', at(DELIVERY_TIME), DELIVERY_TIME + 10)[0]?.type).toBe('repro.requested');
    expect(() => deliverAt('generic', at(DELIVERY_TIME - 3600), DELIVERY_TIME)).toThrow(UnauthorizedError);
    expect(() => deliverAt('generic', at(String(DELIVERY_TIME)), DELIVERY_TIME)).toThrow(expect.objectContaining({ field: 'sent_at', status: 400 }));
  });
});

describe('delivery ids come from signed bytes only', () => {
  it.each([
    ['zammad', 'ticket-created.json', 'x-zammad-delivery'],
    ['jira', 'issue-created.json', 'x-atlassian-webhook-identifier'],
    ['generic', 'created.json', 'x-repro-delivery'],
  ] as const)('%s: %s sent again with another value in the unsigned %s header is the same delivery', (system, name, headerName) => {
    const body = fixture(system, name);
    const headers = signedHeaders(system, body);
    const first = deliverAt(system, body, DELIVERY_TIME, { ...headers, [headerName]: 'first-id' })[0]!;
    const replay = deliverAt(system, body, DELIVERY_TIME, { ...headers, [headerName]: 'another-id' })[0]!;
    expect(first.deliveryId).toBe(replay.deliveryId);
    expect(first.deliveryId).not.toContain('first-id');
  });
});
