import type { EnvironmentEvent as EnvironmentEventView } from '../../src/domain/environment.js';
import type { AccessWithSecrets as Access, Environment, Image, Me } from '../../src/http/schemas.js';
import type { BuildRecord as Build } from '../../src/images/buildRecord.js';
import type { LogLine } from '../../src/images/buildRecord.js';
import type { TokenInfo } from '../../src/store/tokenInfo.js';
import type { TerminalSessionInfo } from '../../src/domain/terminalSessionSchema.js';

export type { Access, Build, Environment, EnvironmentEventView, Image, LogLine, Me, TerminalSessionInfo, TokenInfo };

/** An API answer that is not 2xx, with the API's own words. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

/**
 * Every call rides on the session cookie and carries the CSRF header the service asks of
 * cookie-authenticated calls that change state.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-repro-csrf': '1', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (res.status === 401 && path !== '/v1/me' && !path.startsWith('/auth/')) {
    // The session ended while the page was open: sign in again and come back here.
    location.assign(`/login?returnTo=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `${res.status} ${res.statusText}`, err?.field);
  }
  return data as T;
}

/** A route the server may not have yet (other parts of the API land separately): 404/405 mean "not available". */
export async function optional<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
  try {
    return await api<T>(method, path, body);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405) && err.message.startsWith('no route')) return undefined;
    throw err;
  }
}

/**
 * Follows a server-sent event stream (fetch rather than EventSource: the service names events by
 * type, and a reconnect resumes from the last id) until `isLast` says an item ends it.
 */
export function followStream<T extends { id: string }>(url: string, onItem: (item: T) => void, isLast: (item: T) => boolean, onError: (err: unknown) => void): () => void {
  const abort = new AbortController();
  let lastId: string | undefined;
  let ended = false;
  const run = async () => {
    while (!abort.signal.aborted && !ended) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastId) headers['last-event-id'] = lastId;
        const res = await fetch(url, { headers, credentials: 'same-origin', signal: abort.signal });
        if (!res.ok || !res.body) throw new ApiError(res.status, 'http_error', res.statusText);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (!data) continue;
            const item = JSON.parse(data) as T;
            lastId = item.id;
            if (isLast(item)) ended = true;
            onItem(item);
          }
        }
        // The server ends the stream after the last item; any other end is a reconnect.
        if (!ended) await new Promise((r) => setTimeout(r, 1000));
      } catch (err) {
        if (abort.signal.aborted) return;
        onError(err);
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) return;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };
  void run();
  return () => abort.abort();
}

/** An environment's progress and audit events, live until it is destroyed. */
export const followEvents = (id: string, onEvent: (e: EnvironmentEventView) => void, onError: (err: unknown) => void) =>
  followStream<EnvironmentEventView>(`/v1/environments/${encodeURIComponent(id)}/events`, onEvent, (e) => e.state === 'destroyed', onError);
