import { open, type FileHandle } from 'node:fs/promises';

export interface WatchOptions {
  /** Called for each console line worth showing (see progressLine). */
  onLine(line: string): void;
  /** Returns a value to stop watching with. */
  match(line: string): string | undefined;
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** ANSI colour/cursor sequences systemd prints on the console. */
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;
/** `[  12.345678] ` kernel timestamp, possibly after a getty prompt the line was glued to. */
const TIMESTAMP = /^(?:.*? login: )?\[\s*\d+\.\d+\]\s?/;
/** Userspace output relayed through the kernel log (`cloud-init[291]: …`), unlike kernel chatter. */
const PROCESS_LINE = /^[\w.@-]+\[\d+\]: /;

/** The console line worth a progress event, or undefined for kernel messages and blanks. */
export function progressLine(line: string): string | undefined {
  const stamped = TIMESTAMP.test(line);
  const text = line.replace(TIMESTAMP, '').trim();
  if (!text || (stamped && !PROCESS_LINE.test(text))) return undefined;
  return text;
}

/**
 * Follows the serial console log virtlogd writes (the file may not exist yet when the domain
 * starts) until a line matches. Resolves with the match, or undefined on timeout/abort.
 */
export async function watchSerialLog(path: string, o: WatchOptions): Promise<string | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  let handle: FileHandle | undefined;
  let offset = 0;
  let partial = '';
  const buf = Buffer.alloc(64 * 1024);
  try {
    while (Date.now() < deadline && !o.signal?.aborted) {
      if (!handle) handle = await open(path, 'r').catch(() => undefined);
      if (handle) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        if (bytesRead > 0) {
          offset += bytesRead;
          const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const raw of lines) {
            const line = raw.replace(ANSI, '').trimEnd();
            const found = o.match(line);
            if (found !== undefined) return found;
            const shown = progressLine(line);
            if (shown !== undefined) o.onLine(shown);
          }
          continue;
        }
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    }
    return undefined;
  } finally {
    await handle?.close();
  }
}
