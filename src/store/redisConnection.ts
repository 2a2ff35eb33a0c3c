import { Redis } from 'ioredis';

/**
 * `command`: the connection for ordinary commands. It fails fast while Redis is away: no offline
 * queue (a command whose caller was already told it failed must never run later), in-flight
 * commands are rejected on the first disconnect instead of being re-sent, and a reply slower than
 * `commandTimeoutMs` is an error. `blocking`: BullMQ workers and blocking reads, which must wait
 * out an outage (BullMQ requires maxRetriesPerRequest: null there). Both reconnect by themselves.
 */
export function openRedis(url: string, kind: 'command' | 'blocking', opts: { name: string; commandTimeoutMs?: number }): Redis {
  if (kind === 'blocking') return new Redis(url, { connectionName: opts.name, maxRetriesPerRequest: null });
  return new Redis(url, {
    connectionName: opts.name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(opts.commandTimeoutMs ? { commandTimeout: opts.commandTimeoutMs } : {}),
  });
}

const UNAVAILABLE = new Set(['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false", 'Command timed out']);

/** ioredis's ways of saying Redis did not answer (as opposed to Redis answering with an error). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return UNAVAILABLE.has(err.message) || /^connect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH)/.test(err.message);
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis URL';
  }
}

/**
 * Resolves once `redis` is ready. While it is not, calls `onWait` with a message saying so, at
 * once and then every `repeatMs`, so an operator sees why nothing listens yet.
 */
export async function untilRedisReady(redis: Redis, url: string, onWait: (message: string) => void, repeatMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  let lastError = '';
  const onError = (err: Error) => { lastError = err.message; };
  redis.on('error', onError);
  try {
    await new Promise<void>((resolve) => {
      const say = () => onWait(`Redis at ${redactRedisUrl(url)} is unreachable${lastError ? ` (${lastError})` : ''}; retrying until it answers`);
      // Give a healthy Redis a moment to answer before calling it unreachable.
      const first = setTimeout(say, 1000);
      const repeat = setInterval(say, repeatMs);
      redis.once('ready', () => {
        clearTimeout(first);
        clearInterval(repeat);
        resolve();
      });
    });
  } finally {
    redis.off('error', onError);
  }
}
