import { ReproError } from '../domain/errors.js';

export interface ApiRequest {
  system: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Serialized as JSON unless already a string. */
  body?: unknown;
  timeoutMs: number;
}

/**
 * One REST call to a ticket system with a timeout. Failures become ReproErrors the notify
 * worker understands: network errors, timeouts, 5xx and 429 are worth another attempt; any
 * other 4xx (bad token, unknown ticket) will fail the same way again. Messages never include
 * request headers, which carry the credentials.
 */
export async function sendApiRequest(req: ApiRequest): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | null = null;
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  const where = `${req.method} ${redactUrl(req.url)}`;
  let response: Response;
  try {
    response = await fetch(req.url, { method: req.method, headers, body, signal: AbortSignal.timeout(req.timeoutMs) });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${req.timeoutMs} ms` : 'could not connect';
    throw new ReproError('ticket_api_unreachable', `${req.system}: ${where} ${reason}`, { status: 502, retryable: true, cause: err });
  }
  if (response.ok) return response;
  const detail = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
  const retryable = response.status >= 500 || response.status === 429;
  throw new ReproError('ticket_api_error', `${req.system}: ${where} answered ${response.status}${detail ? `: ${detail}` : ''}`, {
    status: 502,
    retryable,
  });
}

/** Query strings may hold tokens (GLPI accepts them there); keep them out of messages. */
function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?…`;
}
