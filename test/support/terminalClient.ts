import WebSocket from 'ws';
import { waitFor } from './harness.js';

/** A terminal client over the real WebSocket: collects output, remembers how it closed or why it was refused. */
export function connectTerminal(url: string, token?: string) {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  let output = '';
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const rejected = new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  ws.on('message', (data: Buffer) => { output += data.toString('utf8'); });
  ws.on('error', () => undefined);
  return {
    ws, closed, rejected,
    opened: new Promise<void>((resolve) => ws.on('open', () => resolve())),
    get output() { return output; },
    type: (text: string) => ws.send(Buffer.from(text), { binary: true }),
    resize: (cols: number, rows: number) => ws.send(JSON.stringify({ type: 'resize', cols, rows })),
    waitFor: (pattern: RegExp, ms = 20_000) => waitFor(async () => pattern.exec(output) ?? undefined, ms, `${pattern} in the terminal; got:\n${output}`),
    /** Asks `stty size` until the TTY reports the size (a resize is applied asynchronously). */
    async untilSize(cols: number, rows: number, ms = 10_000) {
      await waitFor(async () => {
        ws.send(Buffer.from('stty size\r'), { binary: true });
        await new Promise((r) => setTimeout(r, 300));
        return new RegExp(`\\b${rows} ${cols}\\b`).test(output) || undefined;
      }, ms, `the TTY to be ${cols}x${rows}`);
    },
  };
}
