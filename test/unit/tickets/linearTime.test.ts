import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/tickets/htmlToText.js';
import { findReproLine, parseReproCommand } from '../../../src/tickets/reproCommand.js';
import type { TicketSystem } from '../../../src/tickets/settings.js';
import { DELIVERY_TIME, testCatalog, request, signedHeaders, adapter } from '../../support/ticketTestKit.js';

/**
 * Every step over text an attacker sends must take time in proportion to its length. Each case
 * runs on inputs of 16 KiB, 128 KiB and 1 MiB: from one to the next, linear work takes about 8
 * times longer, quadratic work 64 times (the old HTML step took 3.5 s for 80 k characters). The
 * ratio of the best of several timings is compared, never a wall-clock figure. The 128 KiB → 1 MiB
 * ratio is always checked; the 16 → 128 KiB one is checked first when 16 KiB takes long enough
 * to time (fast steps run in cache there, which skews the ratio), so a quadratic step fails in
 * seconds instead of blocking for minutes on 1 MiB.
 */
const LINEAR_RATIO_MAX = 24;
const MIB = 1 << 20;
const TIMEABLE_MS = 0.5;

function msPerCall(run: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let trial = 0; trial < 5; trial++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      run();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < 20);
    best = Math.min(best, elapsed / calls);
    // A slow (super-linear) step needs no more trials to show it.
    if (elapsed > 2000) break;
  }
  return best;
}

function expectLinear(make: (n: number) => string, run: (input: string) => unknown): void {
  const sizes = [MIB / 64, MIB / 8, MIB];
  let previous = msPerCall(() => run(make(sizes[0]!)));
  for (let k = 1; k < sizes.length; k++) {
    const input = make(sizes[k]!);
    const current = msPerCall(() => run(input));
    const ratio = current / previous;
    if (k === sizes.length - 1 || previous >= TIMEABLE_MS) {
      expect(ratio, `time(${sizes[k]}) / time(${sizes[k - 1]}) = ${ratio.toFixed(1)}`).toBeLessThan(LINEAR_RATIO_MAX);
    }
    previous = current;
  }
}

const fill = (unit: string) => (n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

describe('linear time over untrusted text', () => {
  it.each([
    ['unclosed <', fill('<')],
    ['unclosed tags with text', fill('<a x')],
    ['break-tag prefixes', fill('<br ')],
    ['bare ampersands', fill('&')],
    ['entity prefixes', fill('&amp')],
    ['closed tags', fill('<p>x</p>')],
  ])('htmlToText: %s', (_what, make) => {
    expectLinear(make, htmlToText);
  }, 120_000);

  it.each([
    ['spaces and tabs without a command', fill(' \t')],
    ['/repro then blanks', (n: number) => `/repro${fill(' \t')(n - 7)}x`],
    ['many near-miss lines', fill('  /repr\n')],
    ['many /repro lines after text', fill('x /repro debian-12\n')],
  ])('findReproLine: %s', (_what, make) => {
    expectLinear(make, findReproLine);
  }, 120_000);

  it('parseReproCommand refuses a long line before looking at it', () => {
    expectLinear(fill('+a '), (line) => {
      try {
        parseReproCommand(line, testCatalog());
      } catch {
        // refused as too long: what is timed is how long refusing takes
      }
    });
  }, 120_000);

  const glpiBody = (content: string) => Buffer.from(JSON.stringify({ event: 'new', item: { id: 42, name: 't', status: { id: 1 }, content } }));
  const zammadBody = (body: string) => Buffer.from(JSON.stringify({ ticket: { id: 81, state: 'new' }, article: { content_type: 'text/html', body } }));
  const adfBody = (depth: number) =>
    `{"timestamp":${DELIVERY_TIME * 1000},"webhookEvent":"jira:issue_created","issue":{"key":"OPS-1","fields":{"description":${'{"type":"paragraph","content":['.repeat(depth)}{"type":"text","text":"x"}${']}'.repeat(depth)}}}}`;

  it.each([
    ['glpi', 'a ticket whose content is unclosed <', (n: number) => glpiBody(fill('<')(n))],
    ['zammad', 'an HTML article of unclosed tags', (n: number) => zammadBody(fill('<p ')(n))],
    ['jira', 'a description nested ever deeper', (n: number) => Buffer.from(adfBody(Math.floor(n / 32)))],
  ] as Array<[TicketSystem, string, (n: number) => Buffer]>)('%s adapter: %s, verified and parsed', (system, _what, make) => {
    const a = adapter(system);
    const bodies = new Map<string, Buffer>();
    expectLinear(
      (n) => {
        const body = make(n);
        bodies.set(String(n), body);
        return String(n);
      },
      (key) => {
        const body = bodies.get(key)!;
        const req = request(body, signedHeaders(system, body));
        a.verify(req);
        return a.parse(req.rawBody, req.headers);
      },
    );
  }, 120_000);
});
