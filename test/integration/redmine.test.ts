import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReproError } from '../../src/domain/errors.js';
import { createRedmineAdapter } from '../../src/tickets/adapters/redmine.js';
import { adapterDeps } from '../support/ticketTestKit.js';

/**
 * The comment path against a real Redmine (Debian's redmine 5 + SQLite). The test set-up runs
 * scripts/setup-redmine (idempotent: installs once, then only restarts a server that does not
 * answer), which serves Redmine on 127.0.0.1 and writes the URL, the admin API key and a test
 * issue to <data dir>/redmine/credentials.json.
 */
const root = new URL('../..', import.meta.url).pathname;
const credentialsPath = resolve(root, process.env['REPRO_DATA_DIR'] ?? 'data', 'redmine', 'credentials.json');

describe('real Redmine', () => {
  let url = '';
  let apiKey = '';
  let issueId = 0;
  let adapter: ReturnType<typeof createRedmineAdapter>;

  beforeAll(() => {
    execFileSync('bash', ['scripts/setup-redmine'], { cwd: root, stdio: 'inherit', timeout: 600_000 });
    ({ url, apiKey, issueId } = JSON.parse(readFileSync(credentialsPath, 'utf8')) as { url: string; apiKey: string; issueId: number });
    adapter = createRedmineAdapter({ baseUrl: url, apiKey, webhookSecret: 'unused-here', timeoutMs: 15000 }, adapterDeps());
  }, 660_000);

  it('posts a private note and reads it back under ?include=journals', async () => {
    const text = `[repro] integration note ${Date.now()}\nsecond line`;
    await adapter.postComment({ system: 'redmine', id: String(issueId) }, text, { internal: true });
    const response = await fetch(`${url}/issues/${issueId}.json?include=journals`, { headers: { 'x-redmine-api-key': apiKey } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { issue: { journals: Array<{ notes: string; private_notes: boolean }> } };
    const journal = body.issue.journals.find((j) => j.notes.replace(/\r\n/g, '\n') === text);
    expect(journal).toBeDefined();
    expect(journal!.private_notes).toBe(true);
  });

  it('reports an unknown issue as a final (not retryable) error', async () => {
    const err = await adapter.postComment({ system: 'redmine', id: '99999999' }, 'x', { internal: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReproError);
    expect((err as ReproError).retryable).toBe(false);
    expect((err as ReproError).message).toContain('404');
  });

  it('reports a wrong API key as a final error without echoing the key', async () => {
    const wrong = createRedmineAdapter({ baseUrl: url, apiKey: 'not-the-key-0123456789', webhookSecret: 'unused-here' }, adapterDeps());
    const err = await wrong.postComment({ system: 'redmine', id: String(issueId) }, 'x', { internal: true }).catch((e: unknown) => e);
    expect((err as ReproError).retryable).toBe(false);
    expect((err as ReproError).message).not.toContain('not-the-key');
  });
});
