import type { Redis } from 'ioredis';
import { ENVIRONMENT_STATES, type EnvironmentEvent, type EnvironmentRecord, type EnvironmentState } from '../domain/environment.js';
import { QUOTA_LABELS, quotaChecks, type QuotaName, type Quotas } from '../domain/quotas.js';
import { isLive, sourcesOf } from '../domain/stateMachine.js';
import { NotFoundError, QuotaExceededError, ValidationError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Keys } from './keys.js';
import { CREATE, TRANSITION } from './lua.js';
import { luaJson } from './luaJson.js';

export interface EventInput {
  type: string;
  actor: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface TransitionInput {
  to?: EnvironmentState;
  /** Defaults to every state `to` can be reached from. */
  from?: EnvironmentState[];
  /** Go here instead when a destroy was asked during provisioning. */
  divertOnDestroyRequest?: EnvironmentState;
  patch?: Partial<Record<keyof EnvironmentRecord | typeof SEALED_ACCESS, unknown>>;
  /** Fields to remove. */
  unset?: Array<keyof EnvironmentRecord>;
  event: EventInput;
}

export type TransitionResult =
  | { ok: true; from: EnvironmentState; to: EnvironmentState; eventId: string }
  | { ok: false; current: EnvironmentState };

export interface ListQuery {
  ticket?: { system: string; id: string };
  state?: EnvironmentState;
  requester?: string;
  limit: number;
  cursor?: string;
}

export interface CreateOptions {
  idempotency?: { key: string; value: string; ttlSeconds: number };
  /** Checked in the same atomic step: over any of them, nothing is written and QuotaExceededError is thrown. */
  quotas?: Quotas;
}

/**
 * The record's hash field holding its sealed access secrets (src/secrets/secretBox.ts). Never part
 * of a decoded record: only `sealedAccess` reads it, and leaving live states removes it.
 */
export const SEALED_ACCESS = 'sealedAccess';

export interface EnvironmentStore {
  /** Creates atomically; with an idempotency key already used, returns the key's stored value instead. */
  create(record: EnvironmentRecord, event: EventInput, opts?: CreateOptions): Promise<{ created: true } | { created: false; existing: string }>;
  get(id: string): Promise<EnvironmentRecord | undefined>;
  /** The sealed access secrets, when the environment has any. */
  sealedAccess(id: string): Promise<string | undefined>;
  require(id: string): Promise<EnvironmentRecord>;
  transition(id: string, input: TransitionInput): Promise<TransitionResult>;
  list(query: ListQuery): Promise<{ items: EnvironmentRecord[]; nextCursor?: string }>;
  idsInState(state: EnvironmentState): Promise<string[]>;
  countByState(): Promise<Record<EnvironmentState, number>>;
  byTicket(system: string, id: string): Promise<EnvironmentRecord[]>;
}

/** Record fields are stored one per hash field, JSON-encoded: partial updates stay atomic in Lua. */
function encode(record: Partial<Record<string, unknown>>): string[] {
  return Object.entries(record).flatMap(([k, v]) => (v === undefined ? [] : [k, luaJson(v)]));
}

function decode(hash: Record<string, string>): EnvironmentRecord | undefined {
  if (!hash['id']) return undefined;
  return Object.fromEntries(Object.entries(hash).flatMap(([k, v]) => (k === SEALED_ACCESS ? [] : [[k, JSON.parse(v)]]))) as EnvironmentRecord;
}

const LIVE_STATES = ENVIRONMENT_STATES.filter(isLive);

const SCAN_BATCH = 200;
const SCAN_LIMIT = 5000;

export function createEnvironmentStore(redis: Redis, k: Keys, clock: Clock, retentionSeconds: number): EnvironmentStore {
  const get = async (id: string) => decode(await redis.hgetall(k.env(id)));

  async function getMany(ids: string[]): Promise<Array<EnvironmentRecord | undefined>> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.env(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, hash]) => (err ? undefined : decode(hash as Record<string, string>)));
  }

  function matches(r: EnvironmentRecord, q: ListQuery): boolean {
    return (!q.state || r.state === q.state) && (!q.requester || r.requester === q.requester)
      && (!q.ticket || (r.ticket.system === q.ticket.system && r.ticket.id === q.ticket.id));
  }

  return {
    async create(record, event, opts = {}) {
      const { idempotency, quotas } = opts;
      const at = clock.now().toISOString();
      const quotaCheck = quotas
        ? luaJson({
          liveStates: LIVE_STATES, statePrefix: k.byState(''), envPrefix: k.env(''),
          requester: record.requester, system: record.ticket.system, ticketId: record.ticket.id,
          checks: quotaChecks(quotas, record.kind),
        })
        : '';
      const result = (await redis.eval(
        CREATE, 6,
        idempotency ? k.idempotency('create', idempotency.key) : '', k.env(record.id), k.byCreation,
        k.byState('requested'), k.byTicket(record.ticket.system, record.ticket.id), k.events(record.id),
        idempotency?.value ?? '', String(idempotency?.ttlSeconds ?? 0), String(Date.parse(record.createdAt)), record.id,
        event.type, event.actor, event.message, luaJson(event.data ?? {}), at, quotaCheck,
        ...encode(record as unknown as Record<string, unknown>),
      )) as string[];
      if (result[0] === 'quota') {
        const name = result[1] as QuotaName;
        const limit = Number(result[2]);
        const whose = name === 'perTicket' ? ` (ticket ${record.ticket.system}:${record.ticket.id})` : name === 'perRequester' || name === 'vmPerRequester' ? ` (${record.requester})` : '';
        throw new QuotaExceededError(name, limit, `quota exceeded: at most ${limit} ${QUOTA_LABELS[name]}${whose}; delete one or wait for one to expire`);
      }
      return result[0] === 'exists' ? { created: false, existing: result[1]! } : { created: true };
    },

    get,

    async sealedAccess(id) {
      const raw = await redis.hget(k.env(id), SEALED_ACCESS);
      return raw ? (JSON.parse(raw) as string) : undefined;
    },

    async require(id) {
      const record = await get(id);
      if (!record) throw new NotFoundError('environment', id);
      return record;
    },

    async transition(id, input) {
      const from = input.from ?? (input.to ? sourcesOf(input.to) : []);
      const pairs: string[] = [...encode(input.patch ?? {}), ...(input.unset ?? []).flatMap((f) => [f, ''])];
      const result = (await redis.eval(
        TRANSITION, 2, k.env(id), k.events(id),
        JSON.stringify(from), input.to ?? '', input.divertOnDestroyRequest ?? '', clock.now().toISOString(),
        input.event.type, input.event.actor, input.event.message, luaJson(input.event.data ?? {}),
        k.byState(''), String(retentionSeconds), ...pairs,
      )) as string[];
      if (result[0] === 'missing') throw new NotFoundError('environment', id);
      if (result[0] === 'conflict') return { ok: false, current: result[1] as EnvironmentState };
      return { ok: true, from: result[1] as EnvironmentState, to: result[2] as EnvironmentState, eventId: result[3]! };
    },

    async list(q) {
      let after: { score: number; id: string } | undefined;
      if (q.cursor) after = parseCursor(q.cursor);
      const items: EnvironmentRecord[] = [];
      let candidates: Array<{ id: string; score: number }>;
      if (q.ticket) {
        // A ticket has few environments: load them all and order like the main index.
        const ids = await redis.smembers(k.byTicket(q.ticket.system, q.ticket.id));
        const scores = ids.length ? await redis.zmscore(k.byCreation, ...ids) : [];
        candidates = ids.flatMap((id, i) => (scores[i] === null || scores[i] === undefined ? [] : [{ id, score: Number(scores[i]) }]));
        candidates.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : -1));
        if (after) candidates = candidates.filter((c) => isAfter(c, after!));
        for (const [i, r] of (await getMany(candidates.map((c) => c.id))).entries()) {
          if (r && matches(r, q)) items.push(r);
          if (items.length === q.limit) return { items, ...nextCursor(candidates[i]!, i < candidates.length - 1) };
        }
        return { items };
      }
      let scanned = 0;
      let max = after ? String(after.score) : '+inf';
      for (;;) {
        const raw = await redis.zrevrangebyscore(k.byCreation, max, '-inf', 'WITHSCORES', 'LIMIT', 0, SCAN_BATCH);
        candidates = [];
        for (let i = 0; i < raw.length; i += 2) candidates.push({ id: raw[i]!, score: Number(raw[i + 1]) });
        if (after) candidates = candidates.filter((c) => isAfter(c, after!));
        if (candidates.length === 0) return { items };
        const records = await getMany(candidates.map((c) => c.id));
        for (const [i, r] of records.entries()) {
          const c = candidates[i]!;
          scanned++;
          if (!r) await redis.zrem(k.byCreation, c.id); // record expired after retention
          else if (matches(r, q)) items.push(r);
          if (items.length === q.limit) return { items, ...nextCursor(c, true) };
          // Bound the work of one request: hand back a cursor even if the page is short.
          if (scanned >= SCAN_LIMIT) return { items, ...nextCursor(c, true) };
        }
        after = candidates.at(-1)!;
        max = String(after.score);
      }
    },

    idsInState: (state) => redis.smembers(k.byState(state)),

    async countByState() {
      const states: EnvironmentState[] = ['requested', 'provisioning', 'ready', 'failed', 'destroying'];
      const pipeline = redis.pipeline();
      for (const s of states) pipeline.scard(k.byState(s));
      const counts = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n));
      const out = Object.fromEntries(states.map((s, i) => [s, counts[i] ?? 0])) as Record<EnvironmentState, number>;
      out.destroyed = 0; // destroyed records leave the state index; they only age out
      return out;
    },

    async byTicket(system, id) {
      const ids = await redis.smembers(k.byTicket(system, id));
      return (await getMany(ids)).filter((r): r is EnvironmentRecord => r !== undefined);
    },
  };
}

export function toEvent(id: string, fields: string[]): EnvironmentEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const data = f['data'] ? (JSON.parse(f['data']) as Record<string, unknown>) : {};
  return {
    id,
    at: f['at'] ?? '',
    type: f['type'] ?? '',
    actor: f['actor'] ?? '',
    message: f['message'] ?? '',
    ...(f['state'] ? { state: f['state'] as EnvironmentState } : {}),
    ...(Object.keys(data).length ? { data } : {}),
  };
}

function isAfter(c: { score: number; id: string }, after: { score: number; id: string }): boolean {
  return c.score < after.score || (c.score === after.score && c.id < after.id);
}

function nextCursor(c: { score: number; id: string }, more: boolean): { nextCursor?: string } {
  return more ? { nextCursor: Buffer.from(`${c.score}:${c.id}`).toString('base64url') } : {};
}

function parseCursor(cursor: string): { score: number; id: string } {
  const [score, id] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!id || !Number.isFinite(Number(score))) throw new ValidationError('cursor is not one this service returned', 'cursor');
  return { score: Number(score), id };
}
