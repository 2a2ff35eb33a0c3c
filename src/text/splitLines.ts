/**
 * Turns a stream of text (bytes or strings) into lines, without their \n, \r\n or lone \r (a
 * progress redraw); call `end` to flush the last partial line.
 */
export function splitLines(onLine: (line: string) => void): { push(chunk: Uint8Array | string): void; end(): void } {
  const decoder = new TextDecoder();
  let pending = '';
  return {
    push(chunk) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const lines = (pending + text).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    end() {
      const rest = pending + decoder.decode();
      pending = '';
      if (rest !== '') onLine(rest);
    },
  };
}
