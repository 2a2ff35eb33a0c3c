import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../domain/errors.js';
import type { AdapterDeps, WebhookRequest } from './port.js';

export function hmacHex(algorithm: 'sha1' | 'sha256', secret: string, ...parts: Array<Buffer | string>): string {
  const mac = createHmac(algorithm, secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/** Constant-time string comparison; unequal lengths compare a dummy so timing does not tell the length. */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Checks `<prefix><hex HMAC(body)>` in `headerName`, the scheme GitHub made common (Redmine, Jira, Zammad, ours). */
export function verifyPrefixedHmac(
  req: WebhookRequest,
  headerName: string,
  algorithm: 'sha1' | 'sha256',
  secret: string | undefined,
): void {
  if (!secret) throw new UnauthorizedError('no webhook secret is configured for this system');
  const given = header(req.headers, headerName);
  if (!given) throw new UnauthorizedError(`missing ${headerName} header`);
  const expected = `${algorithm}=${hmacHex(algorithm, secret, req.rawBody)}`;
  if (!safeEqual(given.trim().toLowerCase(), expected)) throw new UnauthorizedError(`bad ${headerName} signature`);
}

/**
 * Refuses a delivery whose signed time is more than maxSkewSeconds from now: a captured
 * delivery replayed later is refused even where nothing else tells it from a new one.
 */
export function requireFresh(signedAtMs: number, deps: Pick<AdapterDeps, 'clock' | 'maxSkewSeconds'>, field: string): void {
  const skewMs = Math.abs(deps.clock.now().getTime() - signedAtMs);
  if (!Number.isFinite(skewMs) || skewMs > deps.maxSkewSeconds * 1000) {
    throw new UnauthorizedError(`${field} is more than ${deps.maxSkewSeconds} s away from now: a delayed or replayed delivery is refused`);
  }
}
