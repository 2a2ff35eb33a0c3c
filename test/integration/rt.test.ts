import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { freePort } from '../support/freePort.js';

/**
 * The whole loop against a real Request Tracker 5 (Debian's request-tracker5 + SQLite), the real
 * Redis and the real Docker: the test runs scripts/setup-rt, which installs RT, installs repro's
 * Scrip and API user by the steps of docs/tickets/rt.md and points the Scrip at the repro this test
 * serves on 127.0.0.1. Tickets are filed and resolved through RT's REST 2 API; RT's Scrip posts each
 * transaction to repro, and repro's comments are read back from the ticket's history.
 */
const root = new URL('../..', import.meta.url).pathname;
const credentialsPath = resolve(root, process.env['REPRO_DATA_DIR'] ?? 'data', 'rt', 'credentials.json');

interface Credentials { url: string; agentToken: string; botToken: string; queue: string; logFile: string }
interface HistoryItem { id: string; Type: string; Creator: { id: string } }
interface AttachmentItem { TransactionId: string; Content?: string }

describe('real Request Tracker: Scrip → repro → comments', () => {
  let rt: Credentials;
  let port = 0;
  const secret = `rt-${randomBytes(16).toString('hex')}`;
  let h: Harness | undefined;
  /** The 'ticket delivery' lines repro logged: one per Scrip delivery it accepted. */
  const deliveries: Array<{ outcomes: Array<{ action: string; ticket: string }> }> = [];

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${rt.url}/REST/2.0/${path}`, {
      method,
      headers: { authorization: `token ${rt.agentToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`RT ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const createTicket = async (subject: string, content: string) =>
    Number((await api<{ id: string }>('POST', 'ticket', { Queue: rt.queue, Subject: subject, Content: content, ContentType: 'text/plain' })).id);
  /** The ticket's transactions with their text, as RT's REST 2 API gives them to anyone. */
  const history = async (ticket: number) => {
    const txns = await api<{ items: HistoryItem[] }>('GET', `ticket/${ticket}/history?fields=Type,Creator&per_page=100`);
    const atts = await api<{ items: AttachmentItem[] }>('GET', `ticket/${ticket}/attachments?fields=Content,TransactionId&per_page=100`);
    return txns.items.map((t) => ({
      type: t.Type,
      creator: t.Creator.id,
      content: atts.items.filter((a) => a.TransactionId === t.id).map((a) => a.Content ?? '').join('\n'),
    }));
  };
  const reproComment = async (ticket: number, text: string) => (await history(ticket)).find((t) => t.creator === 'repro-bot' && t.content.includes(text));

  const startRepro = async (webhookSecret: string): Promise<Harness> => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-rt-'));
    const tickets = { rt: { webhookSecret, baseUrl: rt.url, token: rt.botToken, serviceAccount: 'repro-bot', locale: 'en', notifyAttempts: 3, notifyBackoff: '1s' } };
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets, publicUrl: 'https://repro.test' }));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { msg?: string; outcomes?: (typeof deliveries)[number]['outcomes'] };
          if (entry.msg === 'ticket delivery' && entry.outcomes) deliveries.push({ outcomes: entry.outcomes });
        }
        done();
      },
    });
    const harness = await startHarness({
      provisioners: { container: createDockerProvisioner() },
      env: { REPRO_CONFIG: join(dir, 'config.yaml') },
      workers: true,
      log: pino({ level: 'info' }, sink),
    });
    await harness.app.listen({ host: '127.0.0.1', port });
    return harness;
  };

  beforeAll(async () => {
    port = await freePort();
    try {
      execFileSync('bash', ['scripts/setup-rt'], {
        cwd: root, stdio: ['ignore', 'inherit', 'pipe'], timeout: 600_000,
        env: { ...process.env, RT_REPRO_WEBHOOK_URL: `http://127.0.0.1:${port}/v1/webhooks/rt`, RT_REPRO_WEBHOOK_SECRET: secret },
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`scripts/setup-rt failed: ${stderr.trim() || (err as Error).message}`);
    }
    rt = JSON.parse(readFileSync(credentialsPath, 'utf8')) as Credentials;
    h = await startRepro(secret);
  }, 660_000);

  afterAll(async () => {
    await h?.close();
  });

  it('a /repro line in a new ticket → ready comment (a private Comment) → resolve → destroyed comment', async () => {
    const ticket = await createTicket('repro: curl fails on debian 12', 'curl fails with a TLS error.\n/repro debian-12 +curl\n');
    const ready = await waitFor(async () => {
      const [env] = await h!.deps.service.listByTicket('rt', String(ticket));
      return env?.state === 'ready' ? env : undefined;
    }, 300_000, 'the environment of the RT ticket to be ready');
    expect(ready.packages).toEqual(['curl']);
    expect(ready.ticket).toMatchObject({ system: 'rt', id: String(ticket), url: `${rt.url}/Ticket/Display.html?id=${ticket}` });

    const comment = await waitFor(() => reproComment(ticket, 'The environment is ready.'), 60_000, 'repro\'s ready comment on the RT ticket');
    // A Comment is RT's internal note; a Correspond would be mailed to the requestors.
    expect(comment.type).toBe('Comment');
    expect(comment.content).toContain(ready.id);
    const all = await history(ticket);
    expect(all.filter((t) => t.creator === 'repro-bot').map((t) => t.type)).not.toContain('Correspond');
    expect(all.some((t) => t.creator === 'repro-bot' && t.content.includes('Request accepted'))).toBe(true);

    await api('PUT', `ticket/${ticket}`, { Status: 'resolved' });
    await waitFor(async () => ((await h!.deps.store.get(ready.id))?.state === 'destroyed' ? true : undefined), 120_000, 'the environment to be destroyed');
    const destroyed = await waitFor(() => reproComment(ticket, 'The environment has been destroyed.'), 60_000, 'repro\'s destroyed comment on the RT ticket');
    expect(destroyed.type).toBe('Comment');
  }, 600_000);

  it('a comment by repro\'s own RT user reaches repro and is ignored, even with a /repro line', async () => {
    // RT runs the Scrip before it answers the create call: this ticket's delivery is already logged.
    const ticket = await createTicket('repro: loop check', 'No request in here.');
    const before = deliveries.length;
    // As repro itself would comment: through the bot's token. The Scrip posts this Comment too.
    const response = await fetch(`${rt.url}/REST/2.0/ticket/${ticket}/comment`, {
      method: 'POST',
      headers: { authorization: `token ${rt.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Content: '[repro] usage: /repro debian-12 +curl', ContentType: 'text/plain' }),
    });
    expect(response.status).toBe(201);
    await waitFor(async () => (deliveries.length > before ? true : undefined), 30_000, 'the Scrip delivery of repro-bot\'s comment');
    expect(deliveries[before]!.outcomes).toEqual([]);
    expect(await h!.deps.service.listByTicket('rt', String(ticket))).toEqual([]);
    // The same line from the agent is a request: the ignore is about the author, not the text.
    await api('POST', `ticket/${ticket}/comment`, { Content: '/repro debian-12', ContentType: 'text/plain' });
    const [env] = await waitFor(async () => {
      const envs = await h!.deps.service.listByTicket('rt', String(ticket));
      return envs.length === 1 && envs[0]!.state === 'ready' ? envs : undefined;
    }, 120_000, 'the environment the agent asked for');
    await api('PUT', `ticket/${ticket}`, { Status: 'resolved' });
    await waitFor(async () => ((await h!.deps.store.get(env!.id))?.state === 'destroyed' ? true : undefined), 120_000, 'its teardown');
    // Nothing left in flight for the next test, which replaces this repro.
    await waitFor(() => reproComment(ticket, 'The environment has been destroyed.'), 60_000, 'the destroyed comment');
  }, 300_000);

  it('a delivery signed with another secret is refused, and RT\'s log says so', async () => {
    await h!.close();
    // The same port, a repro that expects another secret.
    h = await startRepro(`other-${randomBytes(8).toString('hex')}`);
    const ticket = await createTicket('repro: wrong secret', '/repro debian-12\n');
    const logLine = `repro webhook for ticket ${ticket} failed: 401`;
    await waitFor(async () => (readFileSync(rt.logFile, 'utf8').includes(logLine) ? true : undefined), 30_000, `"${logLine}" in ${rt.logFile}`);
    expect(await h.deps.service.listByTicket('rt', String(ticket))).toEqual([]);
    // RT still created the ticket: the Scrip never fails the transaction.
    expect((await api<{ Status: string }>('GET', `ticket/${ticket}`)).Status).toBe('new');
  }, 120_000);
});
