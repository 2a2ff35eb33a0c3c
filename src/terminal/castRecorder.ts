import { StringDecoder } from 'node:string_decoder';
import type { TerminalSize } from '../provisioners/port.js';

export interface CastRecorder {
  output(chunk: Buffer): void;
  resize(size: TerminalSize): void;
  /** Writes what is pending; resolves when everything recorded is stored. */
  finish(): Promise<void>;
  readonly bytes: number;
  readonly truncated: boolean;
}

export interface CastRecorderOptions {
  startedAtMs: number;
  size: TerminalSize;
  title: string;
  maxBytes: number;
  now: () => number;
  /** Stores lines; called one batch at a time, in order. */
  store: (lines: string[], bytes: number, truncated: boolean) => Promise<void>;
  onStoreError: (err: unknown) => void;
}

const FLUSH_MS = 250;

/**
 * Records terminal output as asciicast v2: a JSON header line, then `[seconds, "o", text]` and
 * `[seconds, "r", "COLSxROWS"]` events. Input is not recorded (what matters is on screen, and a
 * password typed at a prompt is not echoed there). Past `maxBytes` one marker event says the
 * rest was cut; the session itself goes on. Lines are batched to keep Redis writes few.
 */
export function createCastRecorder(o: CastRecorderOptions): CastRecorder {
  // Chunks can split a multi-byte character; the decoder holds the tail for the next chunk.
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let truncated = false;
  let pending: string[] = [];
  let chain = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const elapsed = () => Math.max(0, (o.now() - o.startedAtMs) / 1000).toFixed(6);

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    const size = bytes;
    const cut = truncated;
    chain = chain.then(() => o.store(lines, size, cut)).catch(o.onStoreError);
  };
  const add = (line: string) => {
    if (truncated) return;
    const length = Buffer.byteLength(line) + 1;
    if (bytes + length > o.maxBytes) {
      truncated = true;
      const marker = JSON.stringify([Number(elapsed()), 'm', 'transcript size limit reached: the rest of the session was not recorded']);
      pending.push(marker);
      bytes += Buffer.byteLength(marker) + 1;
      flush();
      return;
    }
    pending.push(line);
    bytes += length;
    timer ??= setTimeout(flush, FLUSH_MS);
  };

  add(JSON.stringify({
    version: 2,
    width: o.size.cols,
    height: o.size.rows,
    timestamp: Math.floor(o.startedAtMs / 1000),
    title: o.title,
    env: { TERM: 'xterm-256color' },
  }));

  return {
    output(chunk) {
      const text = decoder.write(chunk);
      if (text) add(`[${elapsed()}, "o", ${JSON.stringify(text)}]`);
    },
    resize(size) {
      add(`[${elapsed()}, "r", "${size.cols}x${size.rows}"]`);
    },
    async finish() {
      const rest = decoder.end();
      if (rest) add(`[${elapsed()}, "o", ${JSON.stringify(rest)}]`);
      flush();
      await chain;
    },
    get bytes() {
      return bytes;
    },
    get truncated() {
      return truncated;
    },
  };
}
