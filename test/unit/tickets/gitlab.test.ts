import { describe, expect, it } from 'vitest';
import { fixtureJson, adapter, deliver, deliverJson, postInternalComment } from '../../support/ticketTestKit.js';

describe('gitlab adapter', () => {
  it('reads /repro from a new issue; the ticket is <project id>#<iid>', () => {
    expect(deliver('gitlab', 'issue-open.json')[0]).toMatchObject({
      type: 'repro.requested',
      ticket: { system: 'gitlab', id: '14#23', url: 'http://example.com/gitlabhq/gitlab-test/-/issues/23', title: 'Export CSV fails' },
      request: { image: 'debian-12', packages: ['nginx'] },
      author: 'root',
    });
  });

  it('maps close and reopen actions', () => {
    expect(deliver('gitlab', 'issue-close.json')).toEqual([expect.objectContaining({ type: 'ticket.closed', observed: false })]);
    expect(deliver('gitlab', 'issue-reopen.json')).toEqual([expect.objectContaining({ type: 'ticket.reopened', observed: false })]);
  });

  it('reads /repro from an issue note and skips system notes', () => {
    expect(deliver('gitlab', 'note-issue.json')[0]).toMatchObject({ type: 'repro.requested', ticket: { id: '14#23' }, request: { image: 'rocky-9', kind: 'vm' } });
    const body = fixtureJson('gitlab', 'note-issue.json');
    body.object_attributes.system = true;
    expect(deliverJson('gitlab', body)).toEqual([]);
  });

  it('treats adding the trigger label as a request (defaultRequest)', () => {
    const body = fixtureJson('gitlab', 'issue-open.json');
    body.object_attributes.action = 'update';
    body.changes = { labels: { previous: [], current: [{ id: 206, title: 'repro' }] } };
    const events = deliverJson('gitlab', body, adapter('gitlab', { defaultRequest: 'debian-12 +curl' }));
    expect(events[0]).toMatchObject({ type: 'repro.requested', request: { packages: ['curl'] } });
    expect(deliverJson('gitlab', body)[0]).toMatchObject({ type: 'repro.rejected' });
  });

  it('ignores events by the service account', () => {
    const body = fixtureJson('gitlab', 'note-issue.json');
    body.user.username = 'repro-bot';
    expect(deliverJson('gitlab', body)).toEqual([]);
  });

  it('refuses a string iid', () => {
    const body = fixtureJson('gitlab', 'issue-open.json');
    body.object_attributes.iid = '23';
    expect(() => deliverJson('gitlab', body)).toThrow('object_attributes.iid');
  });

  it('posts an internal note with PRIVATE-TOKEN', async () => {
    const requests = await postInternalComment('gitlab', '14#23', 'note');
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/v4/projects/14/issues/23/notes' });
    expect(requests[0]!.headers['private-token']).toBe('test-gitlab-token');
    expect(JSON.parse(requests[0]!.body)).toEqual({ body: 'note', internal: true });
  });
});
