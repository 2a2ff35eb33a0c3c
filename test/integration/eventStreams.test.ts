import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

interface Stream {
  status: number;
  /** Event ids received, in order. */
  ids: string[];
  body: string;
  res: IncomingMessage;
  close(): void;
}

/** Live event streams over real HTTP against the real Redis. */
describe('live event streams', () => {
  const CAP = 3;
  let h: Harness;
  let base: string;
  const open: Stream[] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { REPRO_EVENT_STREAMS_PER_TOKEN: String(CAP) } });
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await h?.close();
  });

  const newEnv = async (): Promise<string> => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'SSE-1' }, image: 'debian-12' } });
    expect(res.statusCode, res.body).toBe(202);
    return (res.json() as EnvironmentRecord).id;
  };
  const follow = (envId: string, token = h.requesterToken): Promise<Stream> => new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/v1/environments/${envId}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      const s: Stream = { status: res.statusCode ?? 0, ids: [], body: '', res, close: () => req.destroy() };
      let partial = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        s.body += s.status === 200 ? '' : chunk;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('id: ')) s.ids.push(line.slice(4));
      });
      res.on('error', () => undefined);
      open.push(s);
      resolve(s);
    });
    req.on('error', reject);
    req.end();
  });
  /** Redis clients of this test's service whose name is `<prefix>:<role>`. */
  const clientsNamed = async (role: string): Promise<number> => {
    const list = (await h.deps.redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${h.config.redisPrefix}:${role} `)).length;
  };
  const until = (check: () => boolean, what: string) => waitFor(async () => (check() ? true : undefined), 10_000, what);

  it('serves every live stream of the process over one Redis connection', async () => {
    const envs = [await newEnv(), await newEnv(), await newEnv()];
    const streams = await Promise.all(envs.map((id) => follow(id)));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    await until(() => streams.every((s) => s.ids.length === 1), 'each stream\'s history');

    for (const id of envs) await h.deps.events.append(id, { type: 'progress', actor: 'test', message: `live for ${id}` });
    await until(() => streams.every((s) => s.ids.length === 2), 'a live event on each stream');
    expect(await clientsNamed('events')).toBe(1);

    // A stream that joins while the shared read is blocked still gets its events at once.
    streams[0]!.close();
    const late = await follow(envs[0]!);
    await until(() => late.ids.length === 2, 'the late stream\'s history');
    await h.deps.events.append(envs[0]!, { type: 'progress', actor: 'test', message: 'after the late join' });
    await until(() => late.ids.length === 3, 'the late stream\'s live event');
    expect(await clientsNamed('events')).toBe(1);
    for (const s of [...streams, late]) s.close();
  });

  it('caps the live streams of one token, and a closed stream frees its slot', async () => {
    const env = await newEnv();
    const held = await Promise.all(Array.from({ length: CAP }, () => follow(env)));
    expect(held.map((s) => s.status)).toEqual(Array(CAP).fill(200));

    const over = await follow(env);
    expect(over.status).toBe(429);
    await until(() => over.body.length > 0, 'the 429 body');
    expect(JSON.parse(over.body)).toMatchObject({ error: { code: 'too_many_streams' } });

    // Another token has slots of its own.
    const other = await follow(env, h.adminToken);
    expect(other.status).toBe(200);

    held[0]!.close();
    const again = await waitFor(async () => {
      const s = await follow(env);
      if (s.status === 200) return s;
      s.close();
      return undefined;
    }, 10_000, 'a slot to be freed');
    expect(again.status).toBe(200);
    for (const s of [...held, other, again]) s.close();
  });

  it('a client that stops reading gets every event, in order, once it reads again, beside a fast one', async () => {
    const env = await newEnv();
    const slow = await follow(env);
    const fast = await follow(env, h.adminToken);
    await until(() => slow.ids.length === 1 && fast.ids.length === 1, 'history');
    slow.res.pause();
    // Far more than the socket buffers hold: the server must wait for 'drain' and re-read, not drop
    // or pile up; the second half is written while the slow client catches up and the fast one reads on.
    const pad = 'x'.repeat(8000);
    const written: string[] = [];
    const append = async (from: number, to: number) => {
      for (let i = from; i < to; i++) written.push(await h.deps.events.append(env, { type: 'progress', actor: 'test', message: `${i} ${pad}` }));
    };
    await append(0, 750);
    slow.res.resume();
    await append(750, 1500);
    await until(() => slow.ids.length === 1 + written.length && fast.ids.length === 1 + written.length, 'every event on both streams');
    expect(slow.ids.slice(1)).toEqual(written);
    expect(fast.ids.slice(1)).toEqual(written);
    slow.close();
    fast.close();
  });
});
