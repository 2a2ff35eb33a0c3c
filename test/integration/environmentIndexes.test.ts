import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { QuotaExceededError } from '../../src/domain/errors.js';
import { createEnvironmentStore, type EnvironmentStore } from '../../src/store/environmentStore.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/**
 * The store's indexes against the real Redis: a listing page reads about the page whoever else
 * has environments, and records written before the indexes existed are added to them once.
 */
describe('environment indexes', () => {
  let h: Harness;
  let conn: Redis;
  let commands = 0;
  /** A store on its own connection whose commands are counted. */
  let counted: EnvironmentStore;

  beforeAll(async () => {
    h = await startHarness({ env: { REPRO_QUOTA_PER_REQUESTER: '1000', REPRO_QUOTA_PER_TICKET: '1000', REPRO_QUOTA_OVERALL: '1000' } });
    conn = h.deps.connect('counted');
    const send = conn.sendCommand.bind(conn);
    conn.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
      commands++;
      return send(...args);
    }) as Redis['sendCommand'];
    counted = createEnvironmentStore(conn, h.deps.keys, h.deps.clock, 3600);
  });
  afterAll(async () => {
    await h?.close();
  });

  const request = (requester: string, ticket: string) => h.deps.service.request({ ticket: { system: 'generic', id: ticket }, image: 'debian-12' }, requester);
  /** The listing's order: newest first, the higher id first within one millisecond. */
  const newestFirst = (envs: Array<{ id: string; createdAt: string }>) =>
    [...envs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1)).map((e) => e.id);
  const costOf = async <T>(step: () => Promise<T>): Promise<{ result: T; commands: number }> => {
    const before = commands;
    const result = await step();
    return { result, commands: commands - before };
  };

  it('reads a page of one requester\'s environments in a few commands, with 300 of someone else\'s around, and pages them all', async () => {
    for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => request('alice', `A-${i + j}`)));
    const bobs = [];
    for (let i = 0; i < 5; i++) bobs.push((await request('bob', `B-${i}`)).record);
    const bobOrder = newestFirst(bobs);
    await counted.list({ limit: 1 }); // the one-time index check

    const bobPage = await costOf(() => counted.list({ requester: 'bob', limit: 2 }));
    expect(bobPage.result.items.map((e) => e.id)).toEqual(bobOrder.slice(0, 2));
    expect(bobPage.commands).toBeLessThanOrEqual(3); // ZREVRANGEBYSCORE + one HGETALL per item
    const alicePage = await costOf(() => counted.list({ requester: 'alice', limit: 2 }));
    expect(alicePage.result.items).toHaveLength(2);
    expect(alicePage.commands).toBeLessThanOrEqual(3);
    const anyPage = await costOf(() => counted.list({ limit: 2 }));
    expect(anyPage.result.items.map((e) => e.id)).toEqual(bobOrder.slice(0, 2));
    expect(anyPage.commands).toBeLessThanOrEqual(3);
    const statePage = await costOf(() => counted.list({ state: 'requested', limit: 2 }));
    expect(statePage.result.items.map((e) => e.id)).toEqual(bobOrder.slice(0, 2));
    expect(statePage.commands).toBeLessThanOrEqual(3);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await counted.list({ requester: 'bob', limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      expect(page.items.every((e) => e.requester === 'bob')).toBe(true);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(bobOrder);
  }, 60_000);

  it('pages through environments created in the same millisecond one at a time', async () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const store = createEnvironmentStore(h.deps.redis, h.deps.keys, { now: () => at }, 3600);
    const template = await h.deps.store.require((await request('dave', 'D-0')).record.id);
    const ids = ['env-tie00000001', 'env-tie00000002', 'env-tie00000003'];
    for (const id of ids) {
      await store.create({ ...template, id, requester: 'erin', createdAt: at.toISOString(), updatedAt: at.toISOString() }, { type: 'requested', actor: 'test', message: 'tie' });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ requester: 'erin', limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('gives no cursor with a last page that is exactly full, from an index or a ticket', async () => {
    const envs = [];
    for (let i = 0; i < 4; i++) envs.push((await request('gina', 'G-1')).record);
    const order = newestFirst(envs);
    const first = await counted.list({ requester: 'gina', limit: 2 });
    expect(first.items.map((e) => e.id)).toEqual(order.slice(0, 2));
    expect(first.nextCursor).toBeDefined();
    const last = await counted.list({ requester: 'gina', limit: 2, cursor: first.nextCursor! });
    expect(last.items.map((e) => e.id)).toEqual(order.slice(2));
    expect(last.nextCursor).toBeUndefined();
    expect((await counted.list({ requester: 'gina', limit: 4 })).nextCursor).toBeUndefined();
    expect((await counted.list({ requester: 'gina', state: 'requested', limit: 4 })).nextCursor).toBeUndefined();
    const byTicket = await counted.list({ ticket: { system: 'generic', id: 'G-1' }, limit: 2 });
    expect(byTicket.nextCursor).toBeDefined();
    expect((await counted.list({ ticket: { system: 'generic', id: 'G-1' }, limit: 2, cursor: byTicket.nextCursor! })).nextCursor).toBeUndefined();
  });

  it('removes a destroyed environment\'s index entries once its record has aged out, not before', async () => {
    const k = h.deps.keys;
    const store = createEnvironmentStore(h.deps.redis, k, h.deps.clock, 1);
    const { record } = await request('frank', 'F-1');
    for (const to of ['destroying', 'destroyed'] as const) {
      expect((await store.transition(record.id, { to, event: { type: to, actor: 'test', message: to } })).ok).toBe(true);
    }
    const indexed = async () => [
      await h.deps.redis.zscore(k.byCreation, record.id), await h.deps.redis.zscore(k.byRequester('frank'), record.id),
      await h.deps.redis.sismember(k.byTicket('generic', 'F-1'), record.id),
    ];
    const later = new Date(Date.now() + 5_000);
    expect(await store.pruneRetired(later, 100)).toBe(0); // the record is still retained
    expect((await indexed()).every((v) => v !== null && v !== 0)).toBe(true);
    await waitFor(async () => ((await h.deps.redis.exists(k.env(record.id))) === 0 ? true : undefined), 5_000, 'the record to age out');
    expect(await store.pruneRetired(later, 100)).toBe(1);
    expect(await indexed()).toEqual([null, null, 0]);
    expect(await h.deps.redis.zcard(k.retired)).toBe(0);
  });

  it('adds records written before the indexes existed, once, counting only the live ones', async () => {
    const k = h.deps.keys;
    const carol = [];
    for (let i = 0; i < 3; i++) carol.push((await request('carol', `C-${i}`)).record);
    await h.deps.service.requestDestroy(carol[0]!.id, 'test', 'gone');
    // As a Redis written by the previous version: none of the new indexes, unordered state sets, no index version.
    const states = ['requested', 'destroying'] as const;
    const before = await Promise.all(states.map((state) => h.deps.store.idsInState(state)));
    await h.deps.redis.del(k.byRequester('carol'), k.byExpiry, k.unsettled, k.liveOfRequester('carol'), k.indexVersion, ...states.map(k.byState));
    for (const [i, state] of states.entries()) await h.deps.redis.sadd(k.legacyStateSet(state), ...before[i]!);

    const upgraded = createEnvironmentStore(h.deps.redis, k, h.deps.clock, 3600);
    expect((await upgraded.list({ requester: 'carol', limit: 10 })).items.map((e) => e.id)).toEqual(newestFirst(carol));
    expect(await h.deps.redis.get(k.indexVersion)).toBe('2');
    for (const [i, state] of states.entries()) {
      expect((await upgraded.idsInState(state)).sort()).toEqual([...before[i]!].sort());
      expect(await h.deps.redis.exists(k.legacyStateSet(state))).toBe(0);
    }
    expect(await h.deps.redis.scard(k.liveOfRequester('carol'))).toBe(2);
    const overdue = (await upgraded.overdue(new Date(Date.now() + 86_400_000 * 365))).map((e) => e.id);
    expect(overdue).toEqual(expect.arrayContaining([carol[1]!.id, carol[2]!.id]));
    expect(overdue).not.toContain(carol[0]!.id);
    expect((await upgraded.unsettledSince(new Date(Date.now() + 1000))).map((e) => e.id)).toEqual(expect.arrayContaining(carol.map((e) => e.id)));
    const quotas = { perRequester: 2, perTicket: 100, overall: 1000, vmPerRequester: 100, vmOverall: 100 };
    const next = { ...carol[1]!, id: 'env-carol000003', ticket: { ...carol[1]!.ticket, id: 'C-9' } };
    await expect(upgraded.create(next, { type: 'requested', actor: 'test', message: 'over' }, { quotas })).rejects.toBeInstanceOf(QuotaExceededError);
  });
});
