import { describe, expect, it } from 'vitest';
import { fixtureJson, adapter, deliver, postInternalComment } from '../../support/ticketTestKit.js';

describe('zammad adapter', () => {
  it('reads /repro from an HTML article and reports the current state', () => {
    const events = deliver('zammad', 'ticket-created.json');
    expect(events[0]).toMatchObject({
      type: 'repro.requested',
      ticket: { system: 'zammad', id: '81', url: 'http://127.0.0.1:9/#ticket/zoom/81', title: 'Webhook-Test' },
      request: { image: 'debian-12', packages: ['nginx', 'php8.2'] },
      author: 'chris@chrispresso.com',
    });
    expect(events[0]!.deliveryId).toMatch(/^zammad:sha256:[0-9a-f]{64}$/);
    expect(events[1]).toMatchObject({ type: 'ticket.reopened', observed: true, status: { raw: 'new', state: 'open' } });
  });

  it('reports closed as an observed close; the handler decides whether it changed', () => {
    expect(deliver('zammad', 'ticket-closed.json')).toEqual([expect.objectContaining({ type: 'ticket.closed', observed: true })]);
  });

  it('treats a delivery from a configured Trigger as a request (the tag condition lives in the Trigger)', () => {
    const body = fixtureJson('zammad', 'ticket-created.json');
    body.article.body = 'no command';
    const raw = Buffer.from(JSON.stringify(body));
    const withDefault = adapter('zammad', { defaultRequest: 'debian-12 +curl' });
    expect(withDefault.parse(raw, { 'x-zammad-trigger': 'repro request' })[0]).toMatchObject({ type: 'repro.requested', request: { packages: ['curl'] } });
    expect(withDefault.parse(raw, { 'x-zammad-trigger': 'notify customer' })[0]).toMatchObject({ type: 'ticket.reopened' });
  });

  it('ignores articles written by the service account', () => {
    expect(deliver('zammad', 'article-by-service.json')).toEqual([]);
  });

  it('posts an internal note article with the token', async () => {
    const requests = await postInternalComment('zammad', '81', 'note');
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/ticket_articles' });
    expect(requests[0]!.headers.authorization).toBe('Token token=test-zammad-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ ticket_id: 81, body: 'note', content_type: 'text/plain', type: 'note', internal: true });
  });
});
