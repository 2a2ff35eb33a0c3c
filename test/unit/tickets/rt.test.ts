import { describe, expect, it } from 'vitest';
import { deliver, postInternalComment } from '../../support/ticketTestKit.js';

describe('rt adapter', () => {
  it('reads /repro from the create transaction', () => {
    expect(deliver('rt', 'create.json')[0]).toMatchObject({
      type: 'repro.requested', ticket: { system: 'rt', id: '91', url: 'http://127.0.0.1:9/Ticket/Display.html?id=91' }, author: 'jdupont', deliveryId: 'rt:1501',
    });
  });

  it('reads /repro from a comment', () => {
    expect(deliver('rt', 'comment.json')[0]).toMatchObject({ type: 'repro.requested', request: { image: 'rocky-9', kind: 'vm' } });
  });

  it('maps status transactions to resolved and reopened', () => {
    expect(deliver('rt', 'status-resolved.json')).toEqual([expect.objectContaining({ type: 'ticket.resolved', observed: false })]);
    expect(deliver('rt', 'status-reopened.json')).toEqual([expect.objectContaining({ type: 'ticket.reopened', observed: false })]);
  });

  it('posts a comment (not a correspondence) with the token', async () => {
    const requests = await postInternalComment('rt', '91', 'note');
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/REST/2.0/ticket/91/comment' });
    expect(requests[0]!.headers.authorization).toBe('token test-rt-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ Content: 'note', ContentType: 'text/plain' });
  });
});
