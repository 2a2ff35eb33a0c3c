import { ProviderError, ReproError } from '../domain/errors.js';

/** Connection-level failures: the engine is down or restarting, another attempt may succeed. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** HTTP status of a dockerode error, if the engine answered. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps a dockerode failure to the error hierarchy: unreachable engine and engine-side (5xx)
 * errors are retryable, requests the engine refuses (4xx) are not, except address-pool
 * exhaustion, which frees up as other environments go away.
 */
export function dockerFailure(err: unknown, doing: string): ReproError {
  if (err instanceof ReproError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return new ProviderError(`Docker engine unreachable while ${doing} (${code})`, { retryable: true, cause: err });
  }
  const status = dockerStatus(err);
  const message = engineMessage(err);
  const retryable = status === undefined || status >= 500 || /address pool/i.test(message);
  return new ProviderError(`Docker engine failed ${doing}: ${message}`, { retryable, cause: err });
}

function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message;
  return err instanceof Error ? err.message : String(err);
}
