import { describe, expect, it } from 'vitest';
import { castToText } from '../../src/tickets/castToText.js';

const cast = (...events: Array<[number, string, string]>) =>
  [JSON.stringify({ version: 2, width: 80, height: 24 }), ...events.map((e) => JSON.stringify(e))].join('\n');

describe('castToText', () => {
  it('joins output events and drops colours, titles, cursor moves, CR and input/resize events', () => {
    const text = castToText(cast(
      [0.1, 'o', '\u001b]0;root@x: /\u0007\u001b[01;32mroot@x\u001b[00m:/# '],
      [0.2, 'i', 'secret typed\r'],
      [0.3, 'o', 'ls\r\n\u001b[0m\u001b[01;34mbin\u001b[0m  etc\r\n'],
      [0.4, 'r', '100x30'],
    ), 1000);
    expect(text).toEqual({ text: 'root@x:/# ls\nbin  etc\n', cut: false });
  });

  it('follows an escape sequence split across two events, and applies backspaces', () => {
    expect(castToText(cast([0, 'o', 'ab\u001b['], [0.1, 'o', '31mcd\bX']), 100).text).toBe('abcX');
  });

  it('keeps only the end when the text is over the limit, never splitting a character', () => {
    const { text, cut } = castToText(cast([0, 'o', `${'x'.repeat(5000)}\néé end`]), 10);
    expect(cut).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(10);
    expect(text.endsWith('é end')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('ignores lines that are not events', () => {
    expect(castToText('not json\n[1, "o"\n{"x":1}\n[1, "o", "ok"]', 100).text).toBe('ok');
  });
});
