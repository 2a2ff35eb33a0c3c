import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/domain/errors.js';
import { TEST_SECRET, DELIVERY_TIME, fixture, fixtureJson, hmac, request, adapter, deliver, postInternalComment } from '../../support/ticketTestKit.js';

describe('glpi adapter', () => {
  it('signs body + timestamp: the same body with another timestamp is refused', () => {
    const body = fixture('glpi', 'ticket-new.json');
    const a = adapter('glpi');
    const good = { 'x-glpi-signature': hmac('sha256', TEST_SECRET, body, String(DELIVERY_TIME)), 'x-glpi-timestamp': String(DELIVERY_TIME) };
    expect(() => a.verify(request(body, good))).not.toThrow();
    expect(() => a.verify(request(body, { ...good, 'x-glpi-timestamp': String(DELIVERY_TIME + 1) }))).toThrow('bad X-GLPI-signature');
  });

  it('answers the crc_token challenge with HMAC-SHA256(secret, token)', () => {
    const token = hmac('sha256', TEST_SECRET, 'validate_cra_challenge');
    expect(adapter('glpi').challenge!({ crc_token: token })).toBe(hmac('sha256', TEST_SECRET, token));
    expect(adapter('glpi').challenge!({})).toBeUndefined();
  });

  it('reads the /repro line from the HTML content of a new ticket', () => {
    const [event] = deliver('glpi', 'ticket-new.json');
    expect(event).toMatchObject({
      type: 'repro.requested',
      ticket: { system: 'glpi', id: '42', title: 'Export CSV en erreur 500', url: 'http://127.0.0.1:9/front/ticket.form.php?id=42' },
      request: { image: 'debian-12', kind: 'container', packages: ['nginx', 'php8.2'], ttl: '2d' },
      author: 'jdupont',
      status: { raw: '1', state: 'open' },
    });
  });

  it('uses defaultRequest when only the category matches', () => {
    const body = fixtureJson('glpi', 'ticket-new.json');
    body.item.content = '<p>no command</p>';
    const a = adapter('glpi');
    const raw = Buffer.from(JSON.stringify(body));
    const [event] = a.parse(raw, {});
    expect(event).toMatchObject({ type: 'repro.requested', request: { image: 'debian-12', packages: [] } });
    body.item.category = { id: 3, name: 'Autre' };
    expect(a.parse(Buffer.from(JSON.stringify(body)), {})).toEqual([]);
  });

  it('reports only the current status on update: an observed resolution', () => {
    expect(deliver('glpi', 'ticket-update-solved.json')).toEqual([
      expect.objectContaining({ type: 'ticket.resolved', observed: true, status: { raw: '5', state: 'resolved' } }),
    ]);
    expect(deliver('glpi', 'ticket-update-inprogress.json')).toEqual([expect.objectContaining({ type: 'ticket.reopened', observed: true })]);
  });

  it('reads a /repro followup on the parent ticket', () => {
    const [event] = deliver('glpi', 'followup-new.json');
    expect(event).toMatchObject({ type: 'repro.requested', ticket: { id: '42' }, request: { image: 'rocky-9', kind: 'vm', packages: ['httpd'] } });
  });

  it('turns delete into ticket.deleted', () => {
    expect(deliver('glpi', 'ticket-delete.json')).toEqual([expect.objectContaining({ type: 'ticket.deleted', observed: false })]);
  });

  it('refuses a ticket id of the wrong type', () => {
    expect(() => deliver('glpi', 'ticket-new-string-id.json')).toThrow(ValidationError);
  });

  it('opens a session, posts a private ITILFollowup, closes the session (API v1)', async () => {
    const requests = await postInternalComment('glpi', '42', 'a <b>\nline');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /apirest.php/initSession', 'POST /apirest.php/ITILFollowup/', 'GET /apirest.php/killSession',
    ]);
    expect(requests[0]!.headers).toMatchObject({ 'app-token': 'test-app-token', authorization: 'user_token test-user-token' });
    expect(requests[1]!.headers['session-token']).toBe('fake-session-token');
    expect(JSON.parse(requests[1]!.body)).toEqual({ input: { itemtype: 'Ticket', items_id: 42, content: 'a &lt;b&gt;<br>\nline', is_private: 1 } });
  });

  it('posts to the v2 timeline with a bearer token', async () => {
    const requests = await postInternalComment('glpi', '42', 'hi', { api: 'v2', apiToken: 'test-v2-token' });
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/api.php/v2/Assistance/Ticket/42/Timeline/Followup' });
    expect(requests[0]!.headers.authorization).toBe('Bearer test-v2-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ content: 'hi', is_private: true });
  });
});
