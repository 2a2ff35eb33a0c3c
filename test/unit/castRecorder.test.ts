import { describe, expect, it } from 'vitest';
import { createCastRecorder } from '../../src/terminal/castRecorder.js';

/** The recorder with an in-memory sink standing in for Redis (the Redis side is covered by test/integration/terminal.test.ts). */
function record(maxBytes: number) {
  let now = 1_764_400_000_000;
  const stored: string[] = [];
  const flags: Array<{ bytes: number; truncated: boolean }> = [];
  const recorder = createCastRecorder({
    startedAtMs: now, size: { cols: 80, rows: 24 }, title: 'env-x (alice)', maxBytes,
    now: () => now,
    store: async (lines, bytes, truncated) => {
      stored.push(...lines);
      flags.push({ bytes, truncated });
    },
    onStoreError: (err) => { throw err; },
  });
  return { recorder, stored, flags, advance: (ms: number) => { now += ms; } };
}

describe('cast recorder', () => {
  it('writes an asciicast v2 header and timed output and resize events, joining a split UTF-8 character', async () => {
    const { recorder, stored, advance } = record(10_000);
    advance(1500);
    const euro = Buffer.from('prix: 5€\r\n');
    recorder.output(euro.subarray(0, euro.length - 3));
    advance(10);
    recorder.output(euro.subarray(euro.length - 3));
    recorder.resize({ cols: 120, rows: 40 });
    await recorder.finish();
    const [header, ...events] = stored.map((l) => JSON.parse(l));
    expect(header).toEqual({ version: 2, width: 80, height: 24, timestamp: 1_764_400_000, title: 'env-x (alice)', env: { TERM: 'xterm-256color' } });
    expect(events).toEqual([[1.5, 'o', 'prix: 5'], [1.51, 'o', '€\r\n'], [1.51, 'r', '120x40']]);
    expect(recorder.bytes).toBe(stored.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
    expect(recorder.truncated).toBe(false);
  });

  it('stops recording at the size cap with one marker event, and says so', async () => {
    const { recorder, stored, flags } = record(1024);
    for (let i = 0; i < 100; i++) recorder.output(Buffer.from(`line ${i} ${'x'.repeat(40)}\r\n`));
    await recorder.finish();
    expect(recorder.truncated).toBe(true);
    expect(recorder.bytes).toBeLessThanOrEqual(1024 + 200);
    const last = JSON.parse(stored.at(-1)!);
    expect(last[1]).toBe('m');
    expect(last[2]).toContain('size limit');
    expect(stored.filter((l) => l.includes('"m"'))).toHaveLength(1);
    expect(flags.at(-1)).toEqual({ bytes: recorder.bytes, truncated: true });
  });
});
