import { describe, expect, it } from 'vitest';
import { adapter, deliver, deliverJson, postInternalComment } from '../../support/ticketTestKit.js';

describe('generic adapter', () => {
  it('reads the documented format', () => {
    expect(deliver('generic', 'created.json')[0]).toMatchObject({
      type: 'repro.requested',
      ticket: { system: 'generic', id: 'INC-2026-0042', url: 'https://desk.example.org/tickets/INC-2026-0042' },
      request: { image: 'debian-12', packages: ['nginx', 'php8.2'], ttl: '2d' },
    });
    expect(deliver('generic', 'closed.json')).toEqual([expect.objectContaining({ type: 'ticket.closed', observed: false })]);
  });

  it('rejects shell metacharacters and unknown flags with a message for the ticket', () => {
    expect(deliver('generic', 'created-metachar.json')[0]).toMatchObject({ type: 'repro.rejected', reason: expect.stringContaining('";"') });
    expect(deliver('generic', 'created-unknown-flag.json')[0]).toMatchObject({ type: 'repro.rejected', reason: expect.stringContaining('--privileged') });
  });

  it('refuses a numeric ticket id and an unknown event', () => {
    expect(() => deliverJson('generic', { event: 'created', ticket: { id: 42 }, author: 'x' })).toThrow('ticket.id');
    expect(() => deliverJson('generic', { event: 'exploded', ticket: { id: 'A-1' }, author: 'x' })).toThrow('event must be');
  });

  it('posts to the configured URL, or nowhere', async () => {
    const requests = await postInternalComment('generic', 'A-1', 'note');
    expect(requests[0]!.headers.authorization).toBe('Bearer test-generic-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ ticket: { id: 'A-1' }, text: 'note', internal: true });
    await expect(adapter('generic', { commentUrl: undefined }).postComment({ system: 'generic', id: 'A-1' }, 'x', { internal: true })).resolves.toBe(false);
  });
});
