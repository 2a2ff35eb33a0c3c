/** Turns a byte stream into lines (without their \n or \r); call `end` to flush the last partial line. */
export function splitLines(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  const decoder = new TextDecoder();
  let pending = '';
  return {
    push(chunk) {
      const lines = (pending + decoder.decode(chunk, { stream: true })).split(/\r?\n|\r/);
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
