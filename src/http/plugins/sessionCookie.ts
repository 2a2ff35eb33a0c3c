import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.js';
import type { SessionStore } from '../../store/sessionStore.js';
import type { TokenStore } from '../../store/tokenStore.js';
import type { PrincipalSource } from './principalSource.js';

/** The console's session cookie (httpOnly; set by the sign-in routes). */
export const SESSION_COOKIE = 'repro_session';
/** The header the console sends on every call: a cross-site page cannot send it without a CORS preflight we never grant. */
export const CSRF_HEADER = 'x-repro-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The console's session as a principal source. A cookie rides along on cross-site requests, so
 * with it a state-changing call needs the CSRF header or a same-origin `Origin`, and a WebSocket
 * upgrade a same-origin `Origin`. A session opened with an API token lasts only as long as the
 * token: revoked or expired, the session ends with it.
 */
export function sessionCookie(sessions: SessionStore, tokens: TokenStore, publicUrl: string | undefined): PrincipalSource {
  return async (request) => {
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return undefined;
    const session = await sessions.lookup(cookie);
    if (!session) throw new UnauthorizedError('your session has ended; sign in again');
    const principal = session.tokenFingerprint ? await tokens.lookupFingerprint(session.tokenFingerprint) : { name: session.name, role: session.role };
    if (!principal) {
      await sessions.destroy(cookie);
      throw new UnauthorizedError('the token this session was opened with was revoked or has expired; sign in again');
    }
    if (!sameSiteIntent(request, publicUrl)) {
      throw new ForbiddenError(`a call made with the session cookie needs the ${CSRF_HEADER} header or a same-origin Origin`);
    }
    return principal;
  };
}

function sameSiteIntent(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const upgrade = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (SAFE_METHODS.has(request.method) && !upgrade) return true;
  const origin = request.headers.origin;
  const sameOrigin = origin !== undefined && (
    origin === `${request.protocol}://${request.headers.host}` || (publicUrl !== undefined && origin === new URL(publicUrl).origin)
  );
  return upgrade ? sameOrigin : sameOrigin || request.headers[CSRF_HEADER] === '1';
}
