import { describe, expect, it } from 'vitest';
import { fixtureJson, deliver, deliverJson, postInternalComment } from '../../support/ticketTestKit.js';

describe('redmine adapter', () => {
  it('reads /repro from the description of a created issue', () => {
    expect(deliver('redmine', 'issue-created.json')).toEqual([
      expect.objectContaining({
        type: 'repro.requested',
        ticket: { system: 'redmine', id: '1234', url: 'http://127.0.0.1:9/issues/1234', title: 'Export CSV <script> en erreur 500' },
        request: { image: 'debian-12', kind: 'container', packages: ['nginx', 'php8.2'], ttl: '2d' },
        author: 'Jeanne Dupont',
      }),
    ]);
  });

  it('reads /repro from the notes of a journal and keys the delivery on the journal', () => {
    const [event] = deliver('redmine', 'issue-updated-note.json');
    expect(event).toMatchObject({ type: 'repro.requested', request: { image: 'rocky-9', kind: 'vm' }, deliveryId: 'redmine:issue.updated:1234:881' });
  });

  it('sees a status change to a closed status as ticket.closed', () => {
    expect(deliver('redmine', 'issue-updated-closed.json')).toEqual([
      expect.objectContaining({ type: 'ticket.closed', observed: false, status: { raw: 'Fermé', state: 'closed' } }),
    ]);
  });

  it('ignores journals written by the service account', () => {
    expect(deliver('redmine', 'issue-updated-by-service.json')).toEqual([]);
  });

  it('turns issue.deleted into ticket.deleted', () => {
    expect(deliver('redmine', 'issue-deleted.json')[0]).toMatchObject({ type: 'ticket.deleted' });
  });

  it('takes the request from the configured custom field', () => {
    const body = fixtureJson('redmine', 'issue-created.json');
    body.data.issue.description = 'nothing here';
    body.data.issue.custom_fields[0].value = 'rocky-9 +httpd';
    expect(deliverJson('redmine', body)[0]).toMatchObject({ type: 'repro.requested', request: { image: 'rocky-9', packages: ['httpd'] } });
  });

  it('rejects an issue id of the wrong type', () => {
    const body = fixtureJson('redmine', 'issue-created.json');
    body.data.issue.id = '1234';
    expect(() => deliverJson('redmine', body)).toThrow('data.issue.id must be a positive integer');
  });

  it('PUTs a private note with the API key', async () => {
    const requests = await postInternalComment('redmine', '1234', 'note');
    expect(requests[0]).toMatchObject({ method: 'PUT', url: '/issues/1234.json' });
    expect(requests[0]!.headers['x-redmine-api-key']).toBe('test-api-key');
    expect(JSON.parse(requests[0]!.body)).toEqual({ issue: { notes: 'note', private_notes: true } });
  });
});
