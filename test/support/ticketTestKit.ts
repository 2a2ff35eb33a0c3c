import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import type { Catalog, CatalogImage } from '../../src/images/catalog.js';
import { createTicketAdapters } from '../../src/tickets/createTicketAdapters.js';
import type { AdapterDeps, TicketAdapter, TicketEvent, WebhookRequest } from '../../src/tickets/port.js';
import { validateTicketsConfig, type TicketSystem } from '../../src/tickets/settings.js';
import { startFakeTicketServer, type RecordedRequest } from './fakeTicketServer.js';

export const TEST_SECRET = 'test-secret-not-a-real-one';

/**
 * When this test file's deliveries were "sent" (whole seconds, fixed per file so a replay has the
 * same bytes): GLPI's X-GLPI-timestamp, the Redmine and Jira fixtures' signed `timestamp` and the
 * MantisBT and RT ones' `sent_at`, which must be within webhooks.maxSkew (default 5 minutes) of
 * now to be accepted.
 */
export const DELIVERY_TIME = Math.floor(Date.now() / 1000);

/** What the service hands adapters, with the default 5-minute window; a test of time passes its own clock. */
export function adapterDeps(clock: Clock = systemClock): AdapterDeps {
  return { catalog: testCatalog(), clock, maxSkewSeconds: 300 };
}

const image = (name: string, family: 'debian' | 'rhel', vm: boolean, version: string): CatalogImage => ({
  name,
  description: name,
  distribution: family === 'debian' ? 'Debian' : 'Rocky Linux',
  version,
  family,
  dir: `/nonexistent/${name}`,
  container: { dockerfile: 'Dockerfile', tag: `repro/${name}:latest`, base: name.replace('-', ':') },
  ...(vm ? { vm: { disk: `${name}.qcow2`, cpus: 1, memoryMb: 1024, diskGb: 10, user: 'repro' } } : {}),
});

/** debian-12 (container + VM) and rocky-9 (container + VM), enough for every /repro case. */
export function testCatalog(): Catalog {
  const images = [image('debian-12', 'debian', true, '12'), image('rocky-9', 'rhel', true, '9')];
  return { list: () => images, get: (name) => images.find((i) => i.name === name) };
}

/** A recorded delivery, its signed time (Redmine ISO 8601, Jira milliseconds, MantisBT and RT seconds) moved to DELIVERY_TIME. */
export function fixture(system: string, name: string): Buffer {
  const raw = readFileSync(fileURLToPath(new URL(`../fixtures/tickets/${system}/${name}`, import.meta.url)));
  if (system === 'redmine') {
    const iso = new Date(DELIVERY_TIME * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return Buffer.from(raw.toString('utf8').replace(/^\{"type":"([a-z.]+)","timestamp":"[^"]*"/, `{"type":"$1","timestamp":"${iso}"`));
  }
  if (system === 'jira') return Buffer.from(raw.toString('utf8').replace(/^\{"timestamp":[0-9]+,/, `{"timestamp":${DELIVERY_TIME * 1000},`));
  if (system === 'mantis' || system === 'rt') return Buffer.from(raw.toString('utf8').replace(/^(\{"event":"[a-z]+"),"sent_at":[0-9]+,/, `$1,"sent_at":${DELIVERY_TIME},`));
  return raw;
}

/** A recorded delivery's JSON, for a test to change a field of before delivering it. */
export function fixtureJson(system: string, name: string): any {
  return JSON.parse(fixture(system, name).toString('utf8'));
}

export function hmac(algorithm: 'sha1' | 'sha256', secret: string, ...parts: Array<Buffer | string>): string {
  const mac = createHmac(algorithm, secret);
  for (const p of parts) mac.update(p);
  return mac.digest('hex');
}

export function request(rawBody: Buffer, headers: Record<string, string>, query: Record<string, string> = {}): WebhookRequest {
  return { rawBody, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), query };
}

/** The headers each system sends with a delivery, signed with `secret` as that system does. */
export function signedHeaders(system: string, body: Buffer, secret = TEST_SECRET): Record<string, string> {
  switch (system) {
    case 'glpi': {
      const timestamp = String(DELIVERY_TIME);
      return { 'X-GLPI-signature': hmac('sha256', secret, body, timestamp), 'X-GLPI-timestamp': timestamp };
    }
    case 'redmine':
      return { 'content-type': 'application/json', 'X-Redmine-Signature-256': `sha256=${hmac('sha256', secret, body)}` };
    case 'jira':
      return { 'content-type': 'application/json', 'X-Hub-Signature': `sha256=${hmac('sha256', secret, body)}`, 'X-Atlassian-Webhook-Identifier': `wh-${hmac('sha1', 'id', body).slice(0, 12)}` };
    case 'gitlab':
      return { 'content-type': 'application/json', 'X-Gitlab-Token': secret, 'X-Gitlab-Event': 'Issue Hook' };
    case 'zammad':
      return { 'content-type': 'application/json', 'X-Hub-Signature': `sha1=${hmac('sha1', secret, body)}`, 'X-Zammad-Delivery': `job-${hmac('sha1', 'id', body).slice(0, 16)}`, 'X-Zammad-Trigger': 'repro' };
    case 'mantis':
      return { 'content-type': 'application/json', 'X-Mantis-Signature': `sha256=${hmac('sha256', secret, body)}` };
    case 'rt':
    case 'generic':
      return { 'content-type': 'application/json', 'X-Repro-Signature': `sha256=${hmac('sha256', secret, body)}` };
    default:
      throw new Error(`unknown system ${system}`);
  }
}

/** Settings for each system pointing at a fake (or no) server; credentials are test values. */
export function testSettings(system: string, baseUrl = 'http://127.0.0.1:9'): Record<string, unknown> {
  const common = { webhookSecret: TEST_SECRET, baseUrl, timeoutMs: 2000 };
  switch (system) {
    case 'glpi':
      return { ...common, appToken: 'test-app-token', userToken: 'test-user-token', trigger: { categoryIds: [7] }, defaultRequest: 'debian-12' };
    case 'redmine':
      return { ...common, apiKey: 'test-api-key', serviceAccount: 'repro-bot', trigger: { customFieldId: 4 } };
    case 'jira':
      return { ...common, email: 'repro@example.org', apiToken: 'test-jira-token', trigger: { labels: ['repro'] }, serviceAccount: 'repro-bot-account' };
    case 'gitlab':
      return { ...common, token: 'test-gitlab-token', trigger: { labels: ['repro'] }, serviceAccount: 'repro-bot' };
    case 'zammad':
      return { ...common, token: 'test-zammad-token', trigger: { triggerNames: ['repro request'] }, serviceAccount: 'repro-bot@chrispresso.com' };
    case 'mantis':
      return { ...common, token: 'test-mantis-token', trigger: { tags: ['repro'] }, serviceAccount: 'repro-bot' };
    case 'rt':
      return { ...common, token: 'test-rt-token', serviceAccount: 'repro-bot' };
    case 'generic':
      return { webhookSecret: TEST_SECRET, commentUrl: `${baseUrl}/comments`, commentToken: 'test-generic-token', timeoutMs: 2000 };
    default:
      throw new Error(`unknown system ${system}`);
  }
}

/** One system's adapter with testSettings (and `overrides`), built the way the service builds it. */
export function adapter(system: TicketSystem, overrides: Record<string, unknown> = {}, baseUrl?: string, deps = adapterDeps()): TicketAdapter {
  const config = validateTicketsConfig({ [system]: { ...testSettings(system, baseUrl), ...overrides } });
  return createTicketAdapters(config, deps).get(system)!;
}

/** Verifies then parses a signed delivery the way the webhook route does. */
function receive(system: TicketSystem, body: Buffer, a: TicketAdapter): TicketEvent[] {
  const req = request(body, signedHeaders(system, body));
  a.verify(req);
  return a.parse(req.rawBody, req.headers);
}

/** Delivers a recorded fixture. */
export function deliver(system: TicketSystem, name: string, a = adapter(system)): TicketEvent[] {
  return receive(system, fixture(system, name), a);
}

/** Delivers a body built by the test (often a fixtureJson with a field changed). */
export function deliverJson(system: TicketSystem, json: unknown, a = adapter(system)): TicketEvent[] {
  return receive(system, Buffer.from(JSON.stringify(json)), a);
}

/** Posts one internal comment through `system`'s adapter to a fresh fake comment API; returns what the fake received. */
export async function postInternalComment(system: TicketSystem, id: string, text: string, overrides: Record<string, unknown> = {}): Promise<RecordedRequest[]> {
  const fake = await startFakeTicketServer(system);
  try {
    await adapter(system, overrides, fake.url).postComment({ system, id }, text, { internal: true });
    return fake.requests;
  } finally {
    await fake.close();
  }
}
