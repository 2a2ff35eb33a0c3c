import { describe, expect, it } from 'vitest';
import { fixtureJson, deliver, deliverJson, postInternalComment } from '../../support/ticketTestKit.js';

describe('jira adapter', () => {
  it('reads /repro from the description of a created issue, keyed on its signed bytes', () => {
    const [event] = deliver('jira', 'issue-created.json');
    expect(event).toMatchObject({
      type: 'repro.requested',
      ticket: { system: 'jira', id: 'OPS-42', url: 'http://127.0.0.1:9/browse/OPS-42' },
      request: { image: 'debian-12', packages: ['nginx', 'php8.2'] },
      author: '5b10ac8d82e05b22cc7d4ef5',
    });
    expect(event!.deliveryId).toMatch(/^jira:sha256:[0-9a-f]{64}$/);
  });

  it('reads /repro from a new comment', () => {
    expect(deliver('jira', 'comment-created.json')[0]).toMatchObject({ type: 'repro.requested', request: { image: 'rocky-9', kind: 'vm', ttl: '8h' } });
  });

  it('sees a move to the done category as ticket.resolved', () => {
    expect(deliver('jira', 'issue-updated-done.json')).toEqual([expect.objectContaining({ type: 'ticket.resolved', observed: false })]);
  });

  it('turns jira:issue_deleted into ticket.deleted', () => {
    expect(deliver('jira', 'issue-deleted.json')[0]).toMatchObject({ type: 'ticket.deleted' });
  });

  it('refuses a numeric issue key', () => {
    expect(() => deliver('jira', 'issue-created-numeric-key.json')).toThrow('issue.key');
  });

  it('ignores comments by the service account', () => {
    const body = fixtureJson('jira', 'comment-created.json');
    body.comment.author.accountId = 'repro-bot-account';
    expect(deliverJson('jira', body)).toEqual([]);
  });

  it('reads Atlassian Document Format comments', () => {
    const body = fixtureJson('jira', 'comment-created.json');
    body.comment.body = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hi' }] }, { type: 'paragraph', content: [{ type: 'text', text: '/repro debian-12' }] }] };
    expect(deliverJson('jira', body)[0]).toMatchObject({ type: 'repro.requested', request: { image: 'debian-12' } });
  });

  it('posts an ADF comment to API v3 with basic auth and the internal property (Cloud)', async () => {
    const requests = await postInternalComment('jira', 'OPS-42', 'one\ntwo');
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/rest/api/3/issue/OPS-42/comment' });
    expect(requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('repro@example.org:test-jira-token').toString('base64')}`);
    const sent = JSON.parse(requests[0]!.body);
    expect(sent.body.content).toHaveLength(2);
    expect(sent.properties).toEqual([{ key: 'sd.public.comment', value: { internal: true } }]);
  });

  it('posts a wiki-markup comment to API v2 with a PAT and a visibility (Data Center)', async () => {
    const dc = { flavor: 'datacenter', personalAccessToken: 'test-pat', commentVisibility: { type: 'role', value: 'Developers' } };
    const requests = await postInternalComment('jira', 'OPS-42', 'text', dc);
    expect(requests[0]).toMatchObject({ url: '/rest/api/2/issue/OPS-42/comment' });
    expect(requests[0]!.headers.authorization).toBe('Bearer test-pat');
    expect(JSON.parse(requests[0]!.body)).toEqual({ body: 'text', visibility: { type: 'role', value: 'Developers' } });
  });
});
