import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { TerminalSessionInfo } from '../domain/terminalSessionSchema.js';

export interface TranscriptStore {
  start(info: TerminalSessionInfo): Promise<void>;
  /** Appends asciicast lines (no newline); `bytes` is the session's recorded size after them. */
  append(sessionId: string, lines: string[], bytes: number, truncated: boolean): Promise<void>;
  end(sessionId: string, patch: Pick<TerminalSessionInfo, 'endedAt' | 'durationMs' | 'endReason'> & { exitCode?: number }): Promise<void>;
  get(sessionId: string): Promise<TerminalSessionInfo | undefined>;
  /** Newest first. */
  list(envId: string): Promise<TerminalSessionInfo[]>;
  /** The whole asciicast v2 file (header and events, one per line). */
  cast(sessionId: string): Promise<string | undefined>;
}

const MAX_LISTED = 200;

export function newTerminalSessionId(): string {
  return `ts-${randomBytes(8).toString('hex')}`;
}

/**
 * Sessions and transcripts live in Redis beside the environment, so any API process can list
 * and serve them and the notify worker can attach them; every key expires after `keepSeconds`.
 */
export function createTranscriptStore(redis: Redis, k: Keys, keepSeconds: number): TranscriptStore {
  const read = async (sessionId: string): Promise<TerminalSessionInfo | undefined> => {
    const raw = await redis.get(k.terminal(sessionId));
    return raw ? (JSON.parse(raw) as TerminalSessionInfo) : undefined;
  };
  const write = (info: TerminalSessionInfo) => redis.set(k.terminal(info.id), JSON.stringify(info), 'EX', keepSeconds);

  return {
    async start(info) {
      await redis.multi()
        .set(k.terminal(info.id), JSON.stringify(info), 'EX', keepSeconds)
        .zadd(k.terminals(info.envId), Date.parse(info.startedAt), info.id)
        .expire(k.terminals(info.envId), keepSeconds)
        .exec();
    },

    async append(sessionId, lines, bytes, truncated) {
      if (lines.length === 0) return;
      const info = await read(sessionId);
      if (!info) return;
      await redis.multi()
        .rpush(k.terminalCast(sessionId), ...lines)
        .expire(k.terminalCast(sessionId), keepSeconds)
        .exec();
      await write({ ...info, bytes, truncated });
    },

    async end(sessionId, patch) {
      const info = await read(sessionId);
      if (info) await write({ ...info, ...patch });
    },

    get: read,

    async list(envId) {
      const ids = await redis.zrevrange(k.terminals(envId), 0, MAX_LISTED - 1);
      if (ids.length === 0) return [];
      const raws = await redis.mget(...ids.map((id) => k.terminal(id)));
      return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as TerminalSessionInfo] : []));
    },

    async cast(sessionId) {
      if (!(await redis.exists(k.terminal(sessionId)))) return undefined;
      const lines = await redis.lrange(k.terminalCast(sessionId), 0, -1);
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    },
  };
}
