import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import { ConflictError } from '../domain/errors.js';
import type { Keys } from '../store/keys.js';
import { defineScript } from '../store/lua.js';
import type { DefinitionChange } from './diffDefinitions.js';

/** An image definition as kept in Redis: the image.yaml document an admin PUT, with its revision. */
export interface StoredDefinition {
  revision: number;
  document: Record<string, unknown>;
  updatedAt: string;
  updatedBy: string;
}

export interface HistoryEntry {
  revision: number;
  at: string;
  by: string;
  diff: DefinitionChange[];
}

export interface DefinitionStore {
  all(): Promise<Map<string, StoredDefinition>>;
  /** Writes revision `previous + 1` unless someone else wrote since (ConflictError), and appends its history. */
  save(name: string, previous: number, document: Record<string, unknown>, by: string, diff: DefinitionChange[]): Promise<StoredDefinition>;
  history(name: string): Promise<HistoryEntry[]>;
}

/** KEYS: definitions hash, history list. ARGV: name, expected current revision, new entry JSON, history JSON.
 *  A name without a stored definition is at revision 1 (its file). */
const SAVE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local revision = 1
if current then revision = cjson.decode(current).revision end
if revision ~= tonumber(ARGV[2]) then return revision end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
return 0
`;

export function createDefinitionStore(redis: Redis, k: Keys, clock: Clock): DefinitionStore {
  const saveScript = defineScript(redis, 'reproImageSave', 2, SAVE);
  return {
    async all() {
      const raw = await redis.hgetall(k.imageDefinitions);
      return new Map(Object.entries(raw).map(([name, json]) => [name, JSON.parse(json) as StoredDefinition]));
    },

    async save(name, previous, document, by, diff) {
      const entry: StoredDefinition = { revision: previous + 1, document, updatedAt: clock.now().toISOString(), updatedBy: by };
      const history: HistoryEntry = { revision: entry.revision, at: entry.updatedAt, by, diff };
      const found = (await saveScript(k.imageDefinitions, k.imageHistory(name), name, String(previous), JSON.stringify(entry), JSON.stringify(history))) as number;
      if (found !== 0) throw new ConflictError('revision_changed', `image ${name} is at revision ${found} now, not ${previous}; read it again and retry`);
      return entry;
    },

    async history(name) {
      return (await redis.lrange(k.imageHistory(name), 0, -1)).map((json) => JSON.parse(json) as HistoryEntry);
    },
  };
}
