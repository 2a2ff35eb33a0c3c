import { describe, expect, it } from 'vitest';
import { demuxStream, type OutputStream } from '../../src/provisioners/docker/demuxStream.js';
import { splitLines } from '../../src/text/splitLines.js';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxStream', () => {
  it('separates stdout and stderr frames, however the bytes are chunked', () => {
    const raw = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err\n'), frame(1, 'out 2\n'), frame(3, 'engine\n')]);
    for (const size of [1, 3, 7, raw.length]) {
      const got: Array<[OutputStream, string]> = [];
      const feed = demuxStream((stream, payload) => got.push([stream, payload.toString()]));
      for (let i = 0; i < raw.length; i += size) feed(raw.subarray(i, i + size));
      expect(got).toEqual([
        ['stdout', 'out 1\n'],
        ['stderr', 'err\n'],
        ['stdout', 'out 2\n'],
        ['stderr', 'engine\n'],
      ]);
    }
  });
});

describe('splitLines', () => {
  it('emits whole lines across chunks, multi-byte characters included, and flushes the rest', () => {
    const lines: string[] = [];
    const splitter = splitLines((line) => lines.push(line));
    const bytes = Buffer.from('première ligne\r\ndeux');
    splitter.push(bytes.subarray(0, 6));
    splitter.push(bytes.subarray(6));
    splitter.push(Buffer.from('ième\nfin'));
    splitter.end();
    expect(lines).toEqual(['première ligne', 'deuxième', 'fin']);
  });
});
