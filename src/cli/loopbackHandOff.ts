import { createServer } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ReproError } from '../domain/errors.js';

export interface LoopbackListener {
  /** Where the server sends the browser: `127.0.0.1:port`. */
  readonly port: number;
  /** Resolves with the session the server hands over for this state; rejects after `timeoutMs`. */
  readonly session: Promise<string>;
  close(): void;
}

const page = (title: string, text: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>repro: ${title}</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1><p>${text}</p></body></html>`;

const sameState = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The CLI's end of the loopback redirect (RFC 8252): a one-shot listener on 127.0.0.1 only, on a
 * port the system picks, that takes `GET /callback?state&session` once and only with our state (a
 * request with another state, from whatever else runs here, is refused and does not end the wait).
 */
export async function listenForHandOff(state: string, timeoutMs: number): Promise<LoopbackListener> {
  let settle: { resolve(session: string): void; reject(err: Error): void } | undefined;
  const session = new Promise<string>((resolve, reject) => { settle = { resolve, reject }; });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const got = url.searchParams.get('session');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' || url.pathname !== '/callback' || !got || !sameState(url.searchParams.get('state') ?? '', state)) {
      res.writeHead(400).end(page('Not for this login', 'This does not match the <code>repro login</code> waiting here.'));
      return;
    }
    // Resolved once the page is sent: closing the listener then cannot cut it short.
    res.on('finish', () => settle!.resolve(got));
    res.writeHead(200).end(page('The repro command line is signed in', 'You can close this window and go back to your terminal.'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const timer = setTimeout(() => settle!.reject(new ReproError('login_timeout', `no sign-in came back within ${Math.round(timeoutMs / 1000)} s: run \`repro login --sso\` again`, { status: 401 })), timeoutMs);
  const close = () => {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  };
  return { port: (server.address() as { port: number }).port, session, close };
}
