import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TICKET_SYSTEMS, type TicketSystem } from '../../src/tickets/settings.js';
import { startHarness, type Harness } from '../support/harness.js';
import { fixture, signedHeaders, testSettings } from '../support/ticketTestKit.js';

/**
 * Mutated real-format deliveries (test/fixtures/tickets/<system>/) sent to every system's webhook,
 * unsigned and validly signed, through app.inject against the real Redis. Whatever the bytes, the
 * answer is 2xx or 4xx, and a request answered 4xx leaves no environment behind.
 *
 * Seeded: FUZZ_SEED=<n> replays a run (the seed is printed and named in every failure);
 * FUZZ_CASES (default 5000 cases, two requests each) and FUZZ_BUDGET_MS (default 120 s) bound it.
 */
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env['FUZZ_CASES'] ?? 5000);
const BUDGET_MS = Number(process.env['FUZZ_BUDGET_MS'] ?? 120_000);
const MIN_CASES = 300;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Fuzzer {
  constructor(readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Strings that have hurt parsers: markup, /repro look-alikes, odd Unicode, sizes. */
  text(): string {
    const size = this.pick([0, 1, 8, 64, 1000, 20_000, 200_000]);
    const unit = this.pick([
      '<', '<a ', '<br', '&', '&amp', '/repro ', '/repro debian-12 +', ' \t', '\n/repro rocky-9 --vm\n', '--ttl ',
      '\u0000', '\ud800', '\udfff', '\u202e', '\u200b', '😀', 'é', '\\', '"', '${x}', '$(id)', ';rm -rf /;', '%00', 'A',
    ]);
    return unit.repeat(Math.max(1, Math.ceil(size / unit.length))).slice(0, Math.max(size, 1));
  }

  value(depth = 0): Json {
    switch (this.int(depth > 2 ? 8 : 10)) {
      case 0: return null;
      case 1: return this.random() < 0.5;
      case 2: return this.pick([0, -1, 1, 1.5, -0, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 4, 42, 6]);
      case 3: return this.text();
      case 4: return String(this.pick([1, 42, 5678, -3, 0]));
      case 5: return '';
      case 6: return [];
      case 7: return {};
      case 8: return Array.from({ length: 1 + this.int(3) }, () => this.value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: 1 + this.int(3) }, () => [this.key(), this.value(depth + 1)]));
    }
  }

  key(): string {
    return this.pick(['id', 'type', 'event', 'status', 'content', 'name', '__proto__', 'constructor', 'toString', '', 'timestamp', 'x'.repeat(300), 'ü', 'item', 'issue', 'ticket']);
  }

  /** Every [container, key] pair in the tree, so a mutation can reach any depth. */
  slots(root: Json): Array<[Json[] | { [key: string]: Json }, string | number]> {
    const out: Array<[Json[] | { [key: string]: Json }, string | number]> = [];
    const stack: Json[] = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (Array.isArray(node)) node.forEach((child, i) => { out.push([node, i]); stack.push(child); });
      else if (node && typeof node === 'object') for (const [k, child] of Object.entries(node)) { out.push([node, k]); stack.push(child); }
    }
    return out;
  }

  /** Mutates the tree in place; returns what it did. */
  mutateTree(root: Json): string {
    const slots = this.slots(root);
    if (slots.length === 0) return 'nothing to mutate';
    const [parent, key] = this.pick(slots);
    const set = (v: Json) => { (parent as Record<string | number, Json>)[key] = v; };
    const current = (parent as Record<string | number, Json>)[key]!;
    switch (this.int(7)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key as string];
        return `delete ${key}`;
      case 1: set(this.value()); return `swap ${key}`;
      case 2: set(this.text()); return `string ${key}`;
      case 3: set([current]); return `wrap ${key}`;
      case 4: set('__DEEP__'); return `deep ${key}`;
      case 5: {
        const target = this.pick(slots.map(([p, k]) => (p as Record<string | number, Json>)[k]!).filter((v) => v && typeof v === 'object' && !Array.isArray(v))) as { [k: string]: Json } | undefined;
        if (target) target[this.key()] = this.value();
        return 'extra field';
      }
      default:
        if (typeof current === 'number') { set(this.pick([-current, current + 0.5, current * 1e6, 0])); return `number ${key}`; }
        if (typeof current === 'string') { set(current.split('').reverse().join('')); return `reverse ${key}`; }
        set(null);
        return `null ${key}`;
    }
  }

  /** Byte-level damage to an encoded body. */
  mutateText(text: string): [string, string] {
    switch (this.int(6)) {
      case 0: { const at = this.int(text.length + 1); return [text.slice(0, at), `truncate ${at}`]; }
      case 1: { const at = this.int(text.length + 1); return [`${text.slice(0, at)}${this.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'ÿ'])}${text.slice(at)}`, `insert ${at}`]; }
      case 2: return [this.pick(['', 'null', '[]', '"x"', '1', '{', '{"a":}', 'not json', '\ufeff{}', '{}', '{"event":"new","item":{}}', '{"ticket":{"id":1}}']), 'replace'];
      case 3: return [text.replace(/[0-9]/, 'x'), 'digit'];
      case 4: return [`${text}${text}`, 'twice'];
      default: return [`\ufeff${text}`, 'bom'];
    }
  }

  deep(): string {
    const depth = this.pick([1000, 50_000, 120_000]);
    return this.pick([
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      `${'{"type":"paragraph","content":['.repeat(depth / 10)}{"type":"text","text":"/repro debian-12"}${']}'.repeat(depth / 10)}`,
    ]);
  }

  /** A mutated delivery: 1 to 3 tree mutations, sometimes byte damage after. */
  delivery(source: Buffer): { body: Buffer; steps: string[] } {
    const steps: string[] = [];
    const tree = JSON.parse(source.toString('utf8')) as Json;
    for (let i = 0, n = 1 + this.int(3); i < n; i++) steps.push(this.mutateTree(tree));
    let text = JSON.stringify(tree, null, this.random() < 0.3 ? 4 : undefined);
    if (text.includes('"__DEEP__"')) text = text.replace('"__DEEP__"', this.deep());
    if (this.random() < 0.25) {
      const [damaged, step] = this.mutateText(text);
      text = damaged;
      steps.push(step);
    }
    return { body: Buffer.from(text), steps };
  }
}

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/tickets/', import.meta.url));

describe('webhook fuzz: malformed deliveries never get a 5xx', () => {
  let h: Harness;
  const sources = TICKET_SYSTEMS.map((system) => ({
    system,
    bodies: readdirSync(join(FIXTURE_DIR, system)).filter((f) => f.endsWith('.json')).map((f) => fixture(system, f)),
  }));

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repro-fuzz-'));
    const tickets = Object.fromEntries(TICKET_SYSTEMS.map((s) => [s, testSettings(s)]));
    writeFileSync(join(dir, 'config.yaml'), stringify({ tickets }));
    h = await startHarness({
      env: {
        REPRO_CONFIG: join(dir, 'config.yaml'),
        // Tested on their own: here the rate limit would turn every answer into 429 after a few
        // hundred, and the fixtures' signed times (taken when the file loads) must stay fresh for
        // the whole budget.
        REPRO_RATE_LIMIT_PUBLIC_MAX: '100000000',
        REPRO_WEBHOOK_MAX_SKEW: `${Math.ceil(BUDGET_MS / 1000) + 300}s`,
      },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const post = (system: TicketSystem, body: Buffer) =>
    h.app.inject({ method: 'POST', url: `/v1/webhooks/${system}`, headers: signedHeaders(system, body), payload: body });

  // What earlier runs found, kept as fixed cases.
  it('a title holding a lone UTF-16 surrogate creates its environment and does not break later ones (was 500 for every create after it)', async () => {
    const broken = Buffer.from(JSON.stringify({ event: 'created', ticket: { id: 'FUZZ-1', title: 'cut \ud83d emoji' }, author: 'x\udfff', text: '/repro debian-12' }));
    expect((await post('generic', broken)).json().outcomes[0].action).toBe('created');
    const next = Buffer.from(JSON.stringify({ event: 'created', ticket: { id: 'FUZZ-2' }, author: 'jdupont', text: '/repro debian-12' }));
    const res = await post('generic', next);
    expect(res.statusCode).toBe(202);
    expect(res.json().outcomes[0].action).toBe('created');
  });

  it('a Jira description nested 30 000 levels deep is read, not a stack overflow (was 500)', async () => {
    const depth = 30_000;
    const body = Buffer.from(fixture('jira', 'issue-created.json').toString('utf8').replace(
      /"description":"[^"]*"/,
      `"description":${'{"type":"paragraph","content":['.repeat(depth)}{"type":"text","text":"/repro debian-12"}${']}'.repeat(depth)}`,
    ));
    expect(body.length).toBeGreaterThan(depth * 30);
    const res = await post('jira', body);
    expect(res.statusCode).toBe(202);
    expect(res.json().outcomes[0]).toMatchObject({ type: 'repro.requested' });
  });

  const liveCount = async () => Object.values(await h.deps.store.countByState()).reduce((a, b) => a + b, 0);

  it(`answers every mutated delivery with 2xx or 4xx (seed ${SEED})`, async () => {
    console.log(`webhook fuzz: FUZZ_SEED=${SEED}`);
    const fuzz = new Fuzzer(prng(SEED));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const started = Date.now();
    let cases = 0;
    for (; cases < CASES && Date.now() - started < BUDGET_MS && failures.length < 20; cases++) {
      const { system, bodies } = fuzz.pick(sources);
      const { body, steps } = fuzz.delivery(fuzz.pick(bodies));
      const where = `seed ${SEED} case ${cases} ${system} [${steps.join('; ')}] body ${JSON.stringify(body.subarray(0, 120).toString('utf8'))}`;
      for (const signed of [false, true]) {
        const headers: Record<string, string> = signed
          ? signedHeaders(system as TicketSystem, body)
          : { 'content-type': fuzz.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded']) };
        // Now and then a damaged header too: a signature, timestamp or delivery id gone odd.
        if (signed && fuzz.random() < 0.1) {
          const name = fuzz.pick(Object.keys(headers));
          headers[name] = fuzz.pick([` ${headers[name]} `, headers[name]!.toUpperCase(), '', '0', '-1', '1e3', 'x'.repeat(8000), '\u00e9']);
        }
        const before = await liveCount();
        const res = await h.app.inject({ method: 'POST', url: `/v1/webhooks/${system}`, headers, payload: body });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) failures.push(`${res.statusCode} ${res.body.slice(0, 200)} (${signed ? 'signed' : 'unsigned'}) ${where}`);
        // Unsigned: refused for its signature, or for its size before anything reads it.
        if (!signed && res.statusCode !== 401 && res.statusCode !== 413) failures.push(`unsigned answered ${res.statusCode} ${where}`);
        if (res.statusCode >= 300 && (await liveCount()) !== before) failures.push(`${res.statusCode} yet an environment was created (${signed ? 'signed' : 'unsigned'}) ${where}`);
      }
      if (cases % 10 === 0) {
        const token = fuzz.random() < 0.5 ? fuzz.text().slice(0, 2000) : 'a'.repeat(64);
        const res = await h.app.inject({ method: 'GET', url: '/v1/webhooks/glpi', query: { crc_token: token } });
        if (res.statusCode >= 500) failures.push(`challenge ${res.statusCode} seed ${SEED} case ${cases}`);
      }
    }
    console.log(`webhook fuzz: ${cases} cases, ${2 * cases} deliveries in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(Math.min(MIN_CASES, CASES));
    // Valid mutations do get through: the signed half is not all refused.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
  }, BUDGET_MS + 60_000);
});
