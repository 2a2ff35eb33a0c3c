import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import { NotFoundError } from '../domain/errors.js';
import type { Keys } from '../store/keys.js';
import type { BuildRecord, BuildState, CurrentBuild, LogLine } from './buildRecord.js';


export interface BuildStore {
  create(image: string, revision: number, requestedBy: string): Promise<BuildRecord>;
  update(id: string, patch: Partial<Omit<BuildRecord, 'id' | 'image'>>): Promise<BuildRecord>;
  get(id: string): Promise<BuildRecord | undefined>;
  require(id: string): Promise<BuildRecord>;
  list(image: string, limit?: number): Promise<BuildRecord[]>;
  current(image: string): Promise<CurrentBuild | undefined>;
  setCurrent(image: string, current: CurrentBuild): Promise<void>;
  appendLog(id: string, line: string, state?: BuildState): Promise<void>;
  log(id: string, after?: string): Promise<LogLine[]>;
  /** Waits up to `blockMs` for lines after `after`, on the caller's own connection. */
  follow(conn: Redis, id: string, after: string, blockMs: number): Promise<LogLine[]>;
}

const KEPT_BUILDS = 50;
const KEPT_LOG_LINES = 20_000;
const BUILD_TTL_SECONDS = 90 * 86400;

export function newBuildId(): string {
  return `build-${randomBytes(6).toString('hex')}`;
}

export function createBuildStore(redis: Redis, k: Keys, clock: Clock): BuildStore {
  const toLines = (rows: Array<[string, string[]]>): LogLine[] =>
    rows.map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { id, line: f['line'] ?? '', ...(f['state'] ? { state: f['state'] as BuildState } : {}) };
    });

  const store: BuildStore = {
    async create(image, revision, requestedBy) {
      const record: BuildRecord = { id: newBuildId(), image, revision, state: 'queued', requestedBy, requestedAt: clock.now().toISOString() };
      await redis.multi()
        .set(k.build(record.id), JSON.stringify(record), 'EX', BUILD_TTL_SECONDS)
        .lpush(k.imageBuilds(image), record.id)
        .ltrim(k.imageBuilds(image), 0, KEPT_BUILDS - 1)
        .exec();
      return record;
    },

    async update(id, patch) {
      // One writer per build (its job's worker), so read-modify-write needs no lock.
      const record = { ...(await store.require(id)), ...patch };
      await redis.set(k.build(id), JSON.stringify(record), 'EX', BUILD_TTL_SECONDS);
      return record;
    },

    async get(id) {
      const json = await redis.get(k.build(id));
      return json ? (JSON.parse(json) as BuildRecord) : undefined;
    },

    async require(id) {
      const record = await store.get(id);
      if (!record) throw new NotFoundError('build', id);
      return record;
    },

    async list(image, limit = 20) {
      const ids = await redis.lrange(k.imageBuilds(image), 0, limit - 1);
      if (ids.length === 0) return [];
      const rows = await redis.mget(...ids.map((id) => k.build(id)));
      return rows.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as BuildRecord);
    },

    async current(image) {
      const json = await redis.get(k.imageCurrent(image));
      return json ? (JSON.parse(json) as CurrentBuild) : undefined;
    },

    async setCurrent(image, current) {
      await redis.set(k.imageCurrent(image), JSON.stringify(current));
    },

    async appendLog(id, line, state) {
      await redis.multi()
        .xadd(k.buildLog(id), 'MAXLEN', '~', String(KEPT_LOG_LINES), '*', 'line', line.slice(0, 4000), ...(state ? ['state', state] : []))
        .expire(k.buildLog(id), BUILD_TTL_SECONDS)
        .exec();
    },

    async log(id, after) {
      return toLines(await redis.xrange(k.buildLog(id), after ? `(${after}` : '-', '+'));
    },

    async follow(conn, id, after, blockMs) {
      const res = await conn.xread('BLOCK', blockMs, 'STREAMS', k.buildLog(id), after);
      return res ? res.flatMap(([, rows]) => toLines(rows)) : [];
    },
  };
  return store;
}
