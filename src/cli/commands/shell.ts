import WebSocket from 'ws';
import { ReproError } from '../../domain/errors.js';
import { sessionEndedMessage, type ApiClient } from '../apiClient.js';
import { EXIT } from '../exitCodes.js';

/** Close codes of the terminal protocol (docs/terminal.md) and what repro exits with for each. */
const CLOSE_EXIT: Record<number, { code: number; message?: string }> = {
  1000: { code: EXIT.ok },
  4404: { code: EXIT.notFound, message: 'no such environment' },
  4408: { code: EXIT.failure, message: 'the session reached its time limit' },
  4409: { code: EXIT.conflict, message: 'the environment is not ready' },
  1011: { code: EXIT.failure, message: 'the terminal failed on the server' },
};

const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });

/**
 * An interactive shell in an environment over the terminal WebSocket: the local terminal in raw
 * mode (keys go through as typed, Ctrl-C included), output written as it comes, the window size
 * sent on start and on every SIGWINCH. Resolves with the exit code.
 */
export function shell(api: ApiClient, envId: string): Promise<number> {
  const { cols, rows } = size();
  const url = `${api.url.replace(/^http/, 'ws')}/v1/environments/${encodeURIComponent(envId)}/terminal?cols=${cols}&rows=${rows}`;
  const ws = new WebSocket(url, { headers: { ...api.authHeaders } });
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  let opened = false;

  const onInput = (data: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: true });
  };
  const onResize = () => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', ...size() }));
  };
  // Piped input (not a terminal): its end is the end of the session, as Ctrl-D would be. A Ctrl-D
  // that reaches the TTY before the shell reads its line editor's input is lost, so it is sent
  // once the output has settled, and again each second until the shell has gone.
  let lastOutput = Date.now();
  let eof: NodeJS.Timeout | undefined;
  const onEnd = () => {
    eof = setInterval(() => {
      if (Date.now() - lastOutput >= 250) onInput(Buffer.from([0x04]));
    }, 1000);
  };
  const restore = () => {
    clearInterval(eof);
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    process.off('SIGWINCH', onResize);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  };

  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      opened = true;
      if (raw) stdin.setRawMode(true);
      stdin.on('data', onInput);
      if (!raw) stdin.on('end', onEnd);
      stdin.resume();
      process.on('SIGWINCH', onResize);
    });
    ws.on('message', (data: Buffer) => {
      lastOutput = Date.now();
      process.stdout.write(data);
    });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => {
        let message = `the server refused the terminal (${status})`;
        try {
          message = (JSON.parse(body) as { error: { message: string } }).error.message;
        } catch {
          // Not our JSON error: keep the status line.
        }
        if (status === 401 && api.authHeaders['cookie']) message = sessionEndedMessage(api.url);
        reject(new ReproError('terminal_refused', message, { status }));
      });
    });
    ws.on('error', (err) => {
      if (!opened) reject(new ReproError('unreachable', `cannot open the terminal: ${err.message}`));
    });
    ws.on('close', (code, reason) => {
      restore();
      if (!opened) return;
      const outcome = CLOSE_EXIT[code] ?? { code: EXIT.failure, message: `the terminal closed (${code})` };
      const why = reason.toString() || outcome.message;
      if (outcome.code !== EXIT.ok && why) process.stderr.write(`\r\nrepro: ${why}\n`);
      resolve(outcome.code);
    });
  });
}
