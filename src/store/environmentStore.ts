import type { Redis } from 'ioredis';
import { ENVIRONMENT_STATES, type EnvironmentEvent, type EnvironmentRecord, type EnvironmentState } from '../domain/environment.js';
import { QUOTA_LABELS, quotaChecks, type QuotaName, type Quotas } from '../domain/quotas.js';
import { isLive, sourcesOf } from '../domain/stateMachine.js';
import { NotFoundError, QuotaExceededError, ValidationError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Keys } from './keys.js';
import { CREATE, PRUNE, REINDEX, TRANSITION, defineScript } from './lua.js';
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
  /** Live environments whose expiry is at or before `at`: two round trips, however many are live. */
  overdue(at: Date): Promise<EnvironmentRecord[]>;
  /** Environments waiting on a queue job (requested, provisioning, failed, destroying) with no step since `before`. */
  unsettledSince(before: Date): Promise<EnvironmentRecord[]>;
  /** Which of these ids have a record that is not destroyed: one round trip, however many ids. */
  notDestroyed(ids: string[]): Promise<Set<string>>;
  /** Removes the index entries of up to `max` destroyed environments whose record aged out by `at`; how many. */
  pruneRetired(at: Date, max: number): Promise<number>;
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
/** States left only through a queued job (provision or destroy): the sweep checks that job still exists. */
const UNSETTLED_STATES = ENVIRONMENT_STATES.filter((s) => s !== 'ready' && s !== 'destroyed');
/** States whose set holds a record (destroyed records leave theirs). */
const INDEXED_STATES = ENVIRONMENT_STATES.filter((s) => s !== 'destroyed');

const SCAN_BATCH = 200;
const SCAN_LIMIT = 5000;
/** Bump when an index is added: records written before it are added once (REINDEX). */
const INDEX_VERSION = '2';
const REINDEX_BATCH = 500;

const ms = (iso: string) => Date.parse(iso);

export function createEnvironmentStore(redis: Redis, k: Keys, clock: Clock, retentionSeconds: number): EnvironmentStore {
  const get = async (id: string) => decode(await redis.hgetall(k.env(id)));
  const createScript = defineScript(redis, 'reproEnvCreate', 12, CREATE);
  const transitionScript = defineScript(redis, 'reproEnvTransition', 2, TRANSITION);
  const reindexScript = defineScript(redis, 'reproEnvReindex', 0, REINDEX);
  const pruneScript = defineScript(redis, 'reproEnvPrune', 2, PRUNE);
  // The index key names and state groups the transition and reindex scripts share.
  const indexPrefixes = luaJson({
    env: k.env(''), state: k.byState(''), byCreation: k.byCreation, byRequester: k.byRequester(''), byExpiry: k.byExpiry, unsettled: k.unsettled, retired: k.retired,
    // byTicket's name up to `system:id`, which the scripts append from a record's ticket.
    ticket: k.byTicket('', '').slice(0, -1),
    liveRequester: k.liveOfRequester(''), liveVms: k.liveVms, liveVmsRequester: k.liveVmsOfRequester(''),
    liveStates: LIVE_STATES, unsettledStates: UNSETTLED_STATES,
  });

  /** Adds the records written before the current indexes existed; once per Redis, before the first read that needs them. */
  async function reindex(): Promise<void> {
    if ((await redis.get(k.indexVersion)) === INDEX_VERSION) return;
    const ids = await redis.zrange(k.byCreation, 0, -1);
    for (let i = 0; i < ids.length; i += REINDEX_BATCH) {
      const batch = ids.slice(i, i + REINDEX_BATCH);
      const pipeline = redis.pipeline();
      for (const id of batch) pipeline.hmget(k.env(id), 'createdAt', 'expiresAt', 'updatedAt');
      const rows = (await pipeline.exec()) ?? [];
      const args = batch.flatMap((id, j) => {
        const times = (rows[j]?.[1] ?? []) as Array<string | null>;
        return times.every((t) => t) ? [id, ...times.map((t) => String(ms(JSON.parse(t!) as string)))] : [];
      });
      if (args.length) await reindexScript(indexPrefixes, ...args);
    }
    await redis.del(...INDEXED_STATES.map(k.legacyStateSet));
    await redis.set(k.indexVersion, INDEX_VERSION);
  }
  let indexing: Promise<void> | undefined;
  const indexed = () => (indexing ??= reindex().catch((err: unknown) => {
    indexing = undefined;
    throw err;
  }));

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
      await indexed();
      const { requester, kind, ticket } = record;
      const result = (await createScript(
        idempotency ? k.idempotency('create', idempotency.key) : '', k.env(record.id), k.byCreation,
        k.byState('requested'), k.byTicket(ticket.system, ticket.id), k.events(record.id),
        k.byRequester(requester), k.byExpiry, k.unsettled, k.liveOfRequester(requester), k.liveVms, k.liveVmsOfRequester(requester),
        idempotency?.value ?? '', String(idempotency?.ttlSeconds ?? 0), String(ms(record.createdAt)), record.id,
        event.type, event.actor, event.message, luaJson(event.data ?? {}), at, quotas ? luaJson(quotaChecks(quotas, kind)) : '',
        String(ms(record.expiresAt)), kind,
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
      const now = clock.now();
      const expiresAt = input.patch?.expiresAt;
      const result = (await transitionScript(
        k.env(id), k.events(id),
        JSON.stringify(from), input.to ?? '', input.divertOnDestroyRequest ?? '', now.toISOString(),
        input.event.type, input.event.actor, input.event.message, luaJson(input.event.data ?? {}),
        indexPrefixes, String(retentionSeconds), String(now.getTime()), typeof expiresAt === 'string' ? String(ms(expiresAt)) : '',
        ...pairs,
      )) as string[];
      if (result[0] === 'missing') throw new NotFoundError('environment', id);
      if (result[0] === 'conflict') return { ok: false, current: result[1] as EnvironmentState };
      return { ok: true, from: result[1] as EnvironmentState, to: result[2] as EnvironmentState, eventId: result[3]! };
    },

    async list(q) {
      await indexed();
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
        const records = await getMany(candidates.map((c) => c.id));
        for (const [i, r] of records.entries()) {
          if (r && matches(r, q)) items.push(r);
          if (items.length === q.limit) return { items, ...nextCursor(candidates[i]!, records.slice(i + 1).some((n) => n && matches(n, q))) };
        }
        return { items };
      }
      // A page walks the narrowest index it has (the requester's, the state's, or all), so it costs
      // about the page however many environments others have. A filter the index does not
      // answer (the state, within a requester's) is applied while walking, bounded by SCAN_LIMIT.
      const byStateIndex = !q.requester && q.state !== undefined && q.state !== 'destroyed';
      const index = q.requester ? k.byRequester(q.requester) : byStateIndex ? k.byState(q.state!) : k.byCreation;
      // When the index answers every filter, each record it holds matches: read no more records
      // than the page, and one id more to know whether another page follows.
      const scanning = q.state !== undefined && !byStateIndex;
      let batch = scanning ? SCAN_BATCH : q.limit + 1;
      let scanned = 0;
      let max = after ? String(after.score) : '+inf';
      for (;;) {
        // The range starts at the cursor's own score, so it returns the cursor's entry again: ask for one more.
        const asked = batch + (after ? 1 : 0);
        const raw = await redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, asked);
        candidates = [];
        for (let i = 0; i < raw.length; i += 2) candidates.push({ id: raw[i]!, score: Number(raw[i + 1]) });
        if (after) candidates = candidates.filter((c) => isAfter(c, after!));
        const exhausted = raw.length / 2 < asked;
        if (candidates.length === 0) {
          if (exhausted) return { items };
          // A full batch all at the cursor's own creation time: read a longer run of them.
          batch *= 2;
          continue;
        }
        const records = await getMany(candidates.slice(0, scanning ? undefined : q.limit - items.length).map((c) => c.id));
        // After record i: an id not read (the index answers every filter, so it matches), a later
        // matching record, or an index holding more than this batch.
        const follows = (i: number) => !exhausted || candidates.length > records.length || records.slice(i + 1).some((n) => n && matches(n, q));
        for (const [i, r] of records.entries()) {
          const c = candidates[i]!;
          scanned++;
          if (!r) await redis.zrem(index, c.id); // record expired after retention
          else if (matches(r, q)) items.push(r);
          if (items.length === q.limit) return { items, ...nextCursor(c, follows(i)) };
          // Bound the work of one request: hand back a cursor even if the page is short.
          if (scanned >= SCAN_LIMIT) return { items, ...nextCursor(c, follows(i)) };
        }
        if (exhausted && candidates.length === records.length) return { items };
        after = candidates[records.length - 1]!;
        max = String(after.score);
      }
    },

    async idsInState(state) {
      await indexed();
      return redis.zrange(k.byState(state), 0, -1);
    },

    async overdue(at) {
      await indexed();
      const ids = await redis.zrangebyscore(k.byExpiry, '-inf', at.getTime());
      return (await getMany(ids)).filter((r): r is EnvironmentRecord => r !== undefined && isLive(r.state) && ms(r.expiresAt) <= at.getTime());
    },

    async unsettledSince(before) {
      await indexed();
      const ids = await redis.zrangebyscore(k.unsettled, '-inf', before.getTime());
      return (await getMany(ids)).filter((r): r is EnvironmentRecord => r !== undefined);
    },

    async notDestroyed(ids) {
      if (ids.length === 0) return new Set();
      await indexed();
      const pipeline = redis.pipeline();
      for (const state of INDEXED_STATES) pipeline.zmscore(k.byState(state), ...ids);
      const found = ((await pipeline.exec()) ?? []).map(([err, scores]) => {
        if (err) throw err;
        return scores as Array<string | null>;
      });
      return new Set(ids.filter((_, i) => found.some((scores) => scores[i] !== null)));
    },

    async pruneRetired(at, max) {
      return Number(await pruneScript(k.retired, k.byCreation, String(at.getTime()), String(max), k.env('')));
    },

    async countByState() {
      const states: EnvironmentState[] = ['requested', 'provisioning', 'ready', 'failed', 'destroying'];
      await indexed();
      const pipeline = redis.pipeline();
      for (const s of states) pipeline.zcard(k.byState(s));
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
