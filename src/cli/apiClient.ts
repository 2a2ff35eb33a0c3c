import { ReproError } from '../domain/errors.js';
import type { CliConfig } from './cliConfig.js';

export interface ApiClient {
  readonly url: string;
  /**
   * What authenticates a call: the token as a bearer, or the session as the console's cookie with
   * the CSRF header (state-changing calls need it). A WebSocket also sends the service's own
   * Origin, which the server requires with a cookie (a browser could not forge it; we are no browser).
   */
  readonly authHeaders: Readonly<Record<string, string>>;
  /** JSON in, JSON out; an error answer becomes a ReproError with the server's code, message and status. */
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The raw response of a GET (event streams, transcripts); errors as for `call`. */
  open(path: string, accept: string, signal?: AbortSignal): Promise<Response>;
}

const TIMEOUT_MS = 120_000;

export const sessionEndedMessage = (url: string) => `your single sign-on session has ended: run \`repro login --sso ${url}\` again`;

export function createApiClient(config: CliConfig): ApiClient {
  const base = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = config.session
    ? { cookie: `repro_session=${config.session}`, 'x-repro-csrf': '1', origin: new URL(base).origin }
    : { authorization: `Bearer ${config.token}` };

  async function send(method: string, path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new ReproError('unreachable', `cannot reach ${base}: ${cause}`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let error: { code?: string; message?: string; field?: string } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // Not one of our answers (a proxy's page): the status says enough.
    }
    // A session from `login --sso` ends after a while: say how to get a new one.
    const message = config.session && res.status === 401
      ? sessionEndedMessage(base)
      : error.message ?? `${method} ${path} answered ${res.status}`;
    throw new ReproError(error.code ?? `http_${res.status}`, message, {
      status: res.status,
      ...(error.field ? { field: error.field } : {}),
    });
  }

  return {
    url: base,
    authHeaders: headers,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    open: (path, accept, signal) => send('GET', path, { headers: { accept }, ...(signal ? { signal } : {}) }),
  };
}
