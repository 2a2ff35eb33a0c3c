import { describe, expect, it } from 'vitest';
import { adapter, deliver, postInternalComment } from '../../support/ticketTestKit.js';

describe('mantis adapter', () => {
  it('reads /repro from a reported issue', () => {
    expect(deliver('mantis', 'report.json')[0]).toMatchObject({
      type: 'repro.requested', ticket: { system: 'mantis', id: '5678', url: 'http://127.0.0.1:9/view.php?id=5678' }, author: 'jdupont',
    });
  });

  it('reads /repro from a note', () => {
    expect(deliver('mantis', 'note.json')[0]).toMatchObject({ type: 'repro.requested', request: { image: 'rocky-9', kind: 'vm' } });
  });

  it('maps status ids against the resolved threshold and the closed status', () => {
    expect(deliver('mantis', 'update-resolved.json')).toEqual([expect.objectContaining({ type: 'ticket.resolved', observed: true })]);
    expect(deliver('mantis', 'bulk-closed.json')).toEqual([expect.objectContaining({ type: 'ticket.closed', observed: true })]);
    expect(deliver('mantis', 'update-resolved.json', adapter('mantis', { resolvedThreshold: 85 }))).toEqual([expect.objectContaining({ type: 'ticket.reopened' })]);
  });

  it('posts a private note with the bare token', async () => {
    const requests = await postInternalComment('mantis', '5678', 'note');
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/rest/issues/5678/notes' });
    expect(requests[0]!.headers.authorization).toBe('test-mantis-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ text: 'note', view_state: { name: 'private' } });
  });
});
