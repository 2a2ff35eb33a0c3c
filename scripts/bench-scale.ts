/**
 * npm run bench:scale [-- --n 200 --concurrency 20]
 *
 * N live bare containers on this host through repro (all requested at once, `concurrency`
 * provisions at a time, the worker's setting) against N containers started by hand (`docker run`
 * + readiness exec, the same concurrency), in the same run. Prints the time until all are ready,
 * errors, Redis bytes per environment (MEMORY USAGE of its record and event stream; and of every
 * key of the run, queues included, divided by N), and the duration of one maintenance sweep with
 * the N environments live against one listing of the engine's containers by hand.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createMaintenanceProcessor } from '../src/workers/maintenanceProcessor.js';
import { byHand, docker, fmt, pool, startBenchService } from './benchKit.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' }, image: { type: 'string', default: 'debian-12' } },
});
const N = Number(values.n);
const C = Number(values.concurrency);
const svc = await startBenchService({ image: values.image, live: N, concurrency: C });
const { deps, config } = svc;
const tag = svc.image.container!.tag;
const log = pino({ level: 'warn' });

async function allReady(ids: string[], deadlineMs: number): Promise<{ ms: number; ready: number; failed: number }> {
  const start = performance.now();
  for (;;) {
    // The run's own prefix holds only these environments.
    const counts = await deps.store.countByState();
    const ready = counts.ready;
    const failed = counts.failed + counts.destroying + (counts.destroyed ?? 0);
    if (ready + failed === ids.length || performance.now() - start > deadlineMs) return { ms: performance.now() - start, ready, failed };
    // A bench may watch by polling; the service itself never does.
    await new Promise((r) => setTimeout(r, 100));
  }
}

console.log(`bench:scale image=${svc.image.name} (${tag}) n=${N} concurrency=${C}`);
let failed = false;
try {
  let t = performance.now();
  const hand = await pool(N, C, () => byHand(tag, svc.id));
  const handMs = performance.now() - t;
  t = performance.now();
  const listed = await docker.listContainers({ all: true, filters: { label: [`io.repro.bench=${svc.id}`] } });
  const listMs = performance.now() - t;
  await pool(hand.results.length, 10, async (i) => hand.results[i]!.container.remove({ force: true }));

  t = performance.now();
  const posted = await pool(N, C, async () => {
    const res = await fetch(`${svc.base}/v1/environments`, { method: 'POST', headers: svc.headers, body: JSON.stringify({ ticket: { system: 'generic', id: `BENCH-${svc.id}` }, image: svc.image.name, ttl: '1h' }) });
    if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  });
  const done = await allReady(posted.results, 30 * 60_000);
  const reproMs = performance.now() - t;
  const errors = posted.errors.length + done.failed + (posted.results.length - done.ready - done.failed);
  console.log(`all ready  repro ${fmt(reproMs)} (${done.ready}/${N} ready, ${errors} errors) | by hand ${fmt(handMs)} (${hand.results.length}/${N}, ${hand.errors.length} errors) | ratio ${(reproMs / handMs).toFixed(2)}`);

  const perEnv = await pool(posted.results.length, 20, async (i) => {
    const id = posted.results[i]!;
    const [record, events] = await Promise.all([deps.redis.memory('USAGE', deps.keys.env(id)), deps.redis.memory('USAGE', deps.keys.events(id))]);
    return Number(record ?? 0) + Number(events ?? 0);
  });
  let total = 0;
  let cursor = '0';
  do {
    const [next, batch] = await deps.redis.scan(cursor, 'MATCH', `${config.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) total += Number((await deps.redis.memory('USAGE', key)) ?? 0);
  } while (cursor !== '0');
  const own = perEnv.results.reduce((a, b) => a + b, 0) / Math.max(perEnv.results.length, 1);
  console.log(`redis      ${own.toFixed(0)} bytes per environment (record + events), ${(total / Math.max(N, 1)).toFixed(0)} bytes per environment counting every key of the run`);

  const sweep = createMaintenanceProcessor({
    ...deps, hostId: config.hostId, instance: svc.deployment!, provisioners: deps.provisioners,
    log: (msg, data) => log.info(data ?? {}, msg),
    warn: (msg, data) => log.error(data ?? {}, msg),
  });
  t = performance.now();
  await sweep();
  const sweepMs = performance.now() - t;
  console.log(`sweep      repro ${fmt(sweepMs)} with ${done.ready} live | by hand (one listing of ${listed.length} containers) ${fmt(listMs)} | ratio ${(sweepMs / Math.max(listMs, 1)).toFixed(2)}`);
  failed = errors > 0 || hand.errors.length > 0;
} catch (err) {
  console.error((err as Error).message);
  failed = true;
} finally {
  await svc.close();
}
process.exit(failed ? 1 : 0);
