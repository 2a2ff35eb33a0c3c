import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A FAKE of one ticket system's comment API: answers its routes on 127.0.0.1 and records every request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeTicketServer {
  url: string;
  requests: RecordedRequest[];
  /** The next `count` requests to a comment route answer `status` (to test retries and error mapping). */
  failNext(status: number, count?: number): void;
  /** The next request hangs until the server closes (to test timeouts). */
  hangNext(): void;
  close(): Promise<void>;
}

type Route = { method: string; path: RegExp; status: number; body?: unknown; comment: boolean };

const ROUTES: Record<string, Route[]> = {
  glpi: [
    { method: 'GET', path: /^\/apirest\.php\/initSession$/, status: 200, body: { session_token: 'fake-session-token' }, comment: false },
    { method: 'POST', path: /^\/apirest\.php\/ITILFollowup\/$/, status: 201, body: { id: 1, message: '' }, comment: true },
    { method: 'GET', path: /^\/apirest\.php\/killSession$/, status: 200, body: true, comment: false },
    { method: 'POST', path: /^\/api\.php\/v2\/Assistance\/Ticket\/\d+\/Timeline\/Followup$/, status: 201, body: { id: 1 }, comment: true },
  ],
  redmine: [{ method: 'PUT', path: /^\/issues\/\d+\.json$/, status: 204, comment: true }],
  jira: [{ method: 'POST', path: /^\/rest\/api\/[23]\/issue\/[A-Z][A-Z0-9_]*-\d+\/comment$/, status: 201, body: { id: '10300' }, comment: true }],
  gitlab: [{ method: 'POST', path: /^\/api\/v4\/projects\/\d+\/issues\/\d+\/notes$/, status: 201, body: { id: 1301 }, comment: true }],
  zammad: [{ method: 'POST', path: /^\/api\/v1\/ticket_articles$/, status: 201, body: { id: 200 }, comment: true }],
  mantis: [{ method: 'POST', path: /^\/api\/rest\/issues\/\d+\/notes$/, status: 201, body: { note: { id: 90 } }, comment: true }],
  rt: [{ method: 'POST', path: /^\/REST\/2\.0\/ticket\/\d+\/comment$/, status: 201, body: ['Comments added'], comment: true }],
  generic: [{ method: 'POST', path: /^\/comments$/, status: 200, body: { ok: true }, comment: true }],
};

export async function startFakeTicketServer(system: string): Promise<FakeTicketServer> {
  const routes = ROUTES[system];
  if (!routes) throw new Error(`no fake for ${system}`);
  const requests: RecordedRequest[] = [];
  const failures: number[] = [];
  let hang = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (hang) {
        hang = false;
        return;
      }
      const route = routes.find((r) => r.method === req.method && r.path.test(path));
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such route in the fake"}');
        return;
      }
      const status = route.comment && failures.length > 0 ? failures.shift()! : route.status;
      if (status === 204) res.writeHead(204).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status < 300 ? route.body ?? {} : { error: 'injected failure' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    hangNext() {
      hang = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
