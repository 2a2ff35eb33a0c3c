import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { startTicketWorkers } from '../../src/tickets/startTicketWorkers.js';
import { startFakeTicketServer, type FakeTicketServer } from '../support/fakeTicketServer.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { connectTerminal as connect } from '../support/terminalClient.js';
import { testSettings } from '../support/ticketTestKit.js';

/** The terminal WebSocket against a real container on the real Docker engine, with the real notify queue. */
describe('environment terminal', () => {
  let h: Harness;
  let fake: FakeTicketServer;
  let tickets: { close(): Promise<void> };
  let base = '';
  let envId = '';

  beforeAll(async () => {
    fake = await startFakeTicketServer('generic');
    const dir = mkdtempSync(join(tmpdir(), 'repro-terminal-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets: { generic: { ...testSettings('generic', fake.url), commentUrl: `${fake.url}/comments`, locale: 'en', notifyAttempts: 2, notifyBackoff: '1s' } } }));
    h = await startHarness({
      provisioners: { container: createDockerProvisioner({ hostId: 'test' }) },
      env: { REPRO_CONFIG: join(dir, 'config.yaml'), REPRO_TERMINAL_IDLE_TIMEOUT_MS: '4000', REPRO_PUBLIC_URL: 'https://repro.example.org' },
      workers: true,
    });
    tickets = await startTicketWorkers(h.deps, h.deps.ticketing, h.deps.connect());
    base = (await h.app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
    envId = await readyEnvironment();
  });

  afterAll(async () => {
    await tickets?.close();
    await h?.close();
    await fake?.close();
  });

  /** A ready container of ticket generic:TERM-1, requested as alice; its id. */
  async function readyEnvironment(): Promise<string> {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'TERM-1' }, image: 'debian-12' } });
    expect(res.statusCode, res.body).toBe(202);
    const id: string = res.json().id;
    await waitFor(async () => {
      const env = await h.deps.store.require(id);
      if (env.state === 'failed') throw new Error(`failed: ${env.error?.message}`);
      return env.state === 'ready' ? env : undefined;
    }, 120_000, 'the environment to be ready');
    return id;
  }

  it('runs a login shell on a TTY: input, output, resize, exit; audited and recorded as asciicast v2', async () => {
    // An environment of its own: it expects its session to be the only one, in the list and the audit.
    const envId = await readyEnvironment();
    const t = connect(`${base}/v1/environments/${envId}/terminal?cols=100&rows=30`, h.requesterToken);
    await t.opened;
    t.type('cat /etc/os-release\r');
    await t.waitFor(/VERSION_CODENAME=bookworm/);
    t.type('stty size\r');
    await t.waitFor(/\b30 100\b/);
    t.resize(132, 43);
    await t.untilSize(132, 43);
    t.type('tty; echo "shell is $0"\r');
    await t.waitFor(/\/dev\/pts\/\d+/);
    await t.waitFor(/shell is -?bash/);
    t.type('exit 3\r');
    expect(await t.closed).toMatchObject({ code: 1000 });

    const listed = await waitFor(async () => {
      const res = await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions`, headers: h.auth });
      const [session] = res.json().items;
      return session?.endedAt ? session : undefined;
    }, 10_000, 'the session to be listed as ended');
    expect(listed).toMatchObject({ envId, actor: 'alice', cols: 100, rows: 30, endReason: 'exit', exitCode: 3, truncated: false });
    expect(listed.durationMs).toBeGreaterThan(0);

    const cast = await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions/${listed.id}`, headers: h.auth });
    expect(cast.statusCode).toBe(200);
    expect(cast.headers['content-type']).toContain('application/x-asciicast');
    const [header, ...events] = cast.body.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(header).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(typeof header.timestamp).toBe('number');
    let last = 0;
    for (const e of events) {
      expect(e).toHaveLength(3);
      expect(['o', 'r', 'm']).toContain(e[1]);
      expect(e[0]).toBeGreaterThanOrEqual(last);
      last = e[0];
    }
    expect(events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toContain('VERSION_CODENAME=bookworm');
    expect(events).toContainEqual([expect.any(Number), 'r', '132x43']);

    const audit = (await h.deps.events.history(envId)).filter((e) => e.type.startsWith('terminal.'));
    expect(audit.map((e) => [e.type, e.actor])).toEqual([['terminal.started', 'alice'], ['terminal.ended', 'alice']]);
    expect(audit[1]!.data).toMatchObject({ sessionId: listed.id, reason: 'exit', exitCode: 3 });
    expect(audit[1]!.data!['durationMs']).toBeGreaterThan(0);
  });

  it('attaches a transcript to the ticket as a quoted comment through the notify queue', async () => {
    // An environment of its own, with one session that printed the release file.
    const envId = await readyEnvironment();
    const t = connect(`${base}/v1/environments/${envId}/terminal`, h.requesterToken);
    await t.opened;
    t.type('cat /etc/os-release\r');
    await t.waitFor(/VERSION_CODENAME=bookworm/);
    t.type('exit\r');
    await t.closed;
    const session = await waitFor(async () => {
      const [s] = (await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions`, headers: h.auth })).json().items;
      return s?.endedAt ? s : undefined;
    }, 10_000, 'the session to be listed as ended');
    const res = await h.app.inject({ method: 'POST', url: `/v1/environments/${envId}/terminal/sessions/${session.id}/attach`, headers: h.auth });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ sessionId: session.id, ticket: 'generic:TERM-1', queued: true });
    const posted = await waitFor(async () => fake.requests.find((r) => r.body.includes(session.id)), 15_000, 'the transcript comment');
    const { text, ticket } = JSON.parse(posted.body);
    expect(ticket).toEqual({ id: 'TERM-1' });
    expect(text).toContain(`Terminal session ${session.id}: alice`);
    expect(text).toContain(`https://repro.example.org/v1/environments/${envId}/terminal/sessions/${session.id}`);
    expect(text).toMatch(/^> VERSION_CODENAME=bookworm$/m);
    // Control sequences are gone from the comment.
    expect(text).not.toContain('\u001b');
  });

  it('ends an idle session with 4408 and records why', async () => {
    const t = connect(`${base}/v1/environments/${envId}/terminal`, h.requesterToken);
    await t.opened;
    expect((await t.closed).code).toBe(4408);
    const [latest] = (await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions`, headers: h.auth })).json().items;
    await waitFor(async () => ((await h.deps.transcripts.get(latest.id))?.endReason === 'idle' ? true : undefined), 5000, 'the idle end to be recorded');
  });

  it('rejects a missing or unknown token before the upgrade, and closes 4404 for an unknown environment', async () => {
    expect(await connect(`${base}/v1/environments/${envId}/terminal`).rejected).toBe(401);
    expect(await connect(`${base}/v1/environments/${envId}/terminal`, 'rp_not-a-token').rejected).toBe(401);
    const missing = connect(`${base}/v1/environments/env-000000000000/terminal`, h.requesterToken);
    expect((await missing.closed).code).toBe(4404);
    expect((await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions` })).statusCode).toBe(401);
  });

  it('treats another requester\'s environment as missing: 4404 on the terminal, 404 on its sessions', async () => {
    const bob = await h.deps.tokens.issue('bob', 'requester');
    const t = connect(`${base}/v1/environments/${envId}/terminal`, bob);
    expect((await t.closed).code).toBe(4404);
    const res = await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal/sessions`, headers: { authorization: `Bearer ${bob}` } });
    expect(res.statusCode).toBe(404);
  });

  it('answers 400 naming the field for a bad size, and 404 for a session of another environment', async () => {
    const bad = await h.app.inject({ method: 'GET', url: `/v1/environments/${envId}/terminal?cols=0`, headers: h.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('cols');
    const res = await h.app.inject({ method: 'GET', url: `/v1/environments/env-000000000000/terminal/sessions/ts-0000000000000000`, headers: h.auth });
    expect(res.statusCode).toBe(404);
  });

  it('closes 4409 for an environment that is not ready', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'TERM-2' }, image: 'debian-12' } });
    const id = res.json().id;
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${id}`, headers: h.auth });
    // Destroyed before the check (a delete during provisioning applies when it ends): nothing is left behind.
    await waitFor(async () => ((await h.deps.store.require(id)).state === 'destroyed' ? true : undefined), 120_000, 'the environment to be destroyed');
    const t = connect(`${base}/v1/environments/${id}/terminal`, h.requesterToken);
    expect((await t.closed).code).toBe(4409);
  });
});
