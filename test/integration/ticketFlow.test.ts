import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { TICKET_SYSTEMS, type TicketSystem } from '../../src/tickets/settings.js';
import { startFakeTicketServer, type FakeTicketServer } from '../support/fakeTicketServer.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { fixture, signedHeaders, testSettings } from '../support/ticketTestKit.js';

/**
 * The whole flow per system against the real Redis and Docker: a delivery in the system's format
 * → environment ready → comments at the system's fake comment API → the system's resolve/close
 * delivery → environment destroyed → comment. The /repro lines of the fixtures are shortened to
 * `/repro debian-12` so no package download slows the run.
 */
const FLOW: Record<TicketSystem, { open: string; close: string; ticket: string }> = {
  glpi: { open: 'ticket-new.json', close: 'ticket-update-solved.json', ticket: '42' },
  redmine: { open: 'issue-created.json', close: 'issue-updated-closed.json', ticket: '1234' },
  jira: { open: 'issue-created.json', close: 'issue-updated-done.json', ticket: 'OPS-42' },
  gitlab: { open: 'issue-open.json', close: 'issue-close.json', ticket: '14#23' },
  zammad: { open: 'ticket-created.json', close: 'ticket-closed.json', ticket: '81' },
  mantis: { open: 'report.json', close: 'update-resolved.json', ticket: '5678' },
  rt: { open: 'create.json', close: 'status-resolved.json', ticket: '91' },
  generic: { open: 'created.json', close: 'closed.json', ticket: 'INC-2026-0042' },
};

const IMAGE = 'repro/debian-12:latest';
const imagePresent = (() => {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function shortened(system: TicketSystem, name: string): Buffer {
  // Cut the /repro line after the image, whatever escaping the system used around it (\/, \u003c, <\/p>).
  return Buffer.from(fixture(system, name).toString('utf8').replace(/(\\?\/repro debian-12)[^"\\<]*/, '$1'));
}

describe.skipIf(!imagePresent)(`ticket flow per system${imagePresent ? '' : ` (skipped: ${IMAGE} is not built; run npm run build-images)`}`, () => {
  let h: Harness;
  const fakes = new Map<TicketSystem, FakeTicketServer>();

  beforeAll(async () => {
    for (const system of TICKET_SYSTEMS) fakes.set(system, await startFakeTicketServer(system));
    const tickets = Object.fromEntries(TICKET_SYSTEMS.map((s) => [s, { ...testSettings(s, fakes.get(s)!.url), locale: 'en', notifyAttempts: 3, notifyBackoff: '1s' }]));
    const dir = mkdtempSync(join(tmpdir(), 'repro-tickets-'));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets, publicUrl: 'https://repro.test' }));
    h = await startHarness({ provisioners: { container: createDockerProvisioner() }, env: { REPRO_CONFIG: join(dir, 'config.yaml') }, workers: true });
  });

  afterAll(async () => {
    await h?.close();
    for (const fake of fakes.values()) await fake.close();
  });

  const post = (system: TicketSystem, body: Buffer) => {
    const headers = signedHeaders(system, body);
    // GLPI sends no Content-Type at all.
    if (system === 'glpi') delete headers['content-type'];
    return h.app.inject({ method: 'POST', url: `/v1/webhooks/${system}`, headers, payload: body });
  };
  const comments = (system: TicketSystem) => fakes.get(system)!.requests.filter((r) => r.body.includes('[repro]'));

  it.each(TICKET_SYSTEMS)('%s: request → ready → comment → close → destroyed → comment', async (system) => {
    const flow = FLOW[system];
    const opened = await post(system, shortened(system, flow.open));
    expect(opened.statusCode).toBe(202);
    expect(opened.json().outcomes).toContainEqual(expect.objectContaining({ action: 'created' }));

    // The same delivery again (the system retried it): nothing new.
    const replay = await post(system, shortened(system, flow.open));
    expect(replay.json().outcomes[0].action).toBe('duplicate-delivery');

    const ready = await waitFor(async () => {
      const [env] = await h.deps.service.listByTicket(system, flow.ticket);
      return env?.state === 'ready' ? env : undefined;
    }, 120_000, `${system} environment ready`);
    expect(ready.ticket).toMatchObject({ system, id: flow.ticket });
    await waitFor(async () => (comments(system).some((c) => c.body.includes('is ready')) ? true : undefined), 30_000, `${system} ready comment`);
    expect(comments(system).some((c) => c.body.includes('Request accepted'))).toBe(true);

    const closed = await post(system, fixture(system, flow.close));
    expect(closed.statusCode).toBe(202);
    expect(closed.json().outcomes).toContainEqual(expect.objectContaining({ action: 'teardown', envIds: [ready.id] }));
    await waitFor(async () => ((await h.deps.store.get(ready.id))?.state === 'destroyed' ? true : undefined), 60_000, `${system} destroyed`);
    await waitFor(async () => (comments(system).some((c) => c.body.includes('has been destroyed')) ? true : undefined), 30_000, `${system} destroyed comment`);
    expect((await h.deps.service.listByTicket(system, flow.ticket)).filter((e) => e.state !== 'destroyed')).toEqual([]);
  });
});
