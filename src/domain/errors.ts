import type { QuotaName } from './quotas.js';

/**
 * The one error hierarchy. Every error the service raises on purpose is a ReproError:
 * `code` is stable for clients, `status` is the HTTP status it maps to, `retryable` tells
 * workers whether another attempt can succeed.
 */
export class ReproError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly field?: string;

  constructor(code: string, message: string, opts: { status?: number; retryable?: boolean; field?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.retryable = opts.retryable ?? false;
    if (opts.field !== undefined) this.field = opts.field;
  }
}

/** Bad input from a caller; `field` names the offending field. */
export class ValidationError extends ReproError {
  constructor(message: string, field?: string) {
    super('invalid_request', message, { status: 400, ...(field === undefined ? {} : { field }) });
  }
}

export class UnauthorizedError extends ReproError {
  constructor(message = 'missing or invalid credentials') {
    super('unauthorized', message, { status: 401 });
  }
}

export class ForbiddenError extends ReproError {
  constructor(message = 'this action needs another role') {
    super('forbidden', message, { status: 403 });
  }
}

export class NotFoundError extends ReproError {
  constructor(what: string, id: string, message = `${what} ${id} does not exist`) {
    super('not_found', message, { status: 404 });
  }
}

/** The request is valid but conflicts with the current state (wrong lifecycle state, reused key). */
export class ConflictError extends ReproError {
  constructor(code: string, message: string) {
    super(code, message, { status: 409 });
  }
}

/** Creating would go over a configured quota; `quota` names it, `limit` is its value. */
export class QuotaExceededError extends ReproError {
  readonly quota: QuotaName;
  readonly limit: number;

  constructor(quota: QuotaName, limit: number, message: string) {
    super('quota_exceeded', message, { status: 429 });
    this.quota = quota;
    this.limit = limit;
  }
}

/** Too many requests from one client address; `retryAfterSeconds` goes out as Retry-After. */
export class RateLimitedError extends ReproError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, { status: 429 });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A provider (Docker engine, libvirt host) failed; most such failures are worth another attempt. */
export class ProviderError extends ReproError {
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super('provider_error', message, { status: 502, retryable: opts.retryable ?? true, cause: opts.cause });
  }
}

/** Redis, the system of record, did not answer: nothing was done, the caller may retry. */
export class RedisUnavailableError extends ReproError {
  constructor(cause?: unknown) {
    super('redis_unavailable', 'the service store (Redis) is not answering; retry shortly', { status: 503, retryable: true, cause });
  }
}

/** Too many of something at once for this caller (open event streams, …). */
export class TooManyError extends ReproError {
  constructor(code: string, message: string) {
    super(code, message, { status: 429 });
  }
}

/** Work stopped on purpose (a destroy asked while it ran); not a failure to retry. */
export class CancelledError extends ReproError {
  constructor(message: string) {
    super('cancelled', message, { status: 409, retryable: false });
  }
}

/** The service cannot start: a setting is missing or malformed. */
export class ConfigError extends ReproError {
  constructor(message: string) {
    super('config_invalid', message, { status: 500 });
  }
}

/** Errors that are not ours (driver, network) are retryable by default: the cause is usually transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ReproError ? err.retryable : true;
}
