/**
 * npm run bench:api [-- --rate 1000 --duration 5 --connections 20 --envs 5]
 *
 * GET /v1/environments/:id and GET /v1/environments?limit=50 at up to `rate` requests/s for
 * `duration` seconds, fired by autocannon from a second process over loopback while repro keeps
 * provisioning and tearing down bare environments in the background. The by-hand baseline, in the
 * same run and under the same load: a bare node:http server doing the least Redis work for the
 * same answer (one HGETALL of the record; one ZREVRANGE of the index and a pipeline of HGETALLs).
 * Prints p50/p99, errors and non-2xx for both, and their ratio.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { pool, requestReady, startBenchService } from './benchKit.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    envs: { type: 'string', default: '5' },
    image: { type: 'string', default: 'debian-12' },
  },
});
const RATE = Math.min(Number(values.rate), 5000);
const DURATION = Math.min(Number(values.duration), 30);
const ENVS = Number(values.envs);
const run = promisify(execFile);
const svc = await startBenchService({ image: values.image, live: ENVS + 4, concurrency: 4 });
const { redis, keys } = svc.deps;

// The baseline: the same records straight from Redis, no auth, no validation, no schema.
const baseline = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const answer = async (): Promise<unknown> => {
    const one = /^\/env\/([a-z0-9-]+)$/.exec(url.pathname);
    if (one) return redis.hgetall(keys.env(one[1]!));
    const ids = await redis.zrevrange(keys.byCreation, 0, 49);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.env(id));
    return { items: ((await pipeline.exec()) ?? []).map(([, v]) => v) };
  };
  answer().then(
    (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    () => res.writeHead(500).end(),
  );
});
await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', r));
const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;

interface Load { p50: number; p99: number; errors: number; non2xx: number; requests: number }

/** autocannon in a second process, bounded by rate and duration. */
async function load(url: string, headers: Record<string, string>): Promise<Load> {
  const args = ['-j', '-c', values.connections, '-d', String(DURATION), '-R', String(RATE), ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  const { stdout } = await run(join(import.meta.dirname, '../node_modules/.bin/autocannon'), args, { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout) as { latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number; requests: { total: number } };
  return { p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, requests: r.requests.total };
}

const show = (l: Load) => `p50 ${String(l.p50).padStart(4)} ms  p99 ${String(l.p99).padStart(4)} ms  ${l.requests} requests, ${l.errors} errors, ${l.non2xx} non-2xx`;

console.log(`bench:api rate=${RATE}/s duration=${DURATION} s connections=${values.connections}, ${ENVS} ready environments, provisions running meanwhile`);
let failed = false;
try {
  const ready = await pool(ENVS, 4, () => requestReady(svc, {}));
  if (ready.errors.length > 0) throw new Error(ready.errors[0]);
  const target = ready.results[0]!.envId;

  // Provisions keep running while the API is loaded: create and tear down, two at a time.
  let loading = true;
  let provisioned = 0;
  const background = pool(1000, 2, async () => {
    if (!loading) return;
    const r = await requestReady(svc, {});
    provisioned += 1;
    await svc.deps.service.requestDestroy(r.envId, 'bench', 'bench done');
  });

  for (const [label, path, basePath] of [['GET /v1/environments/:id', `/v1/environments/${target}`, `/env/${target}`], ['GET /v1/environments', '/v1/environments?limit=50', '/list']] as const) {
    const repro = await load(`${svc.base}${path}`, { authorization: `Bearer ${svc.token}` });
    const hand = await load(`${baselineUrl}${basePath}`, {});
    console.log(`${label.padEnd(26)} repro ${show(repro)} | by hand ${show(hand)} | ratio p50 ${(repro.p50 / Math.max(hand.p50, 1)).toFixed(2)}  p99 ${(repro.p99 / Math.max(hand.p99, 1)).toFixed(2)}`);
    failed ||= repro.errors + repro.non2xx > 0;
  }
  loading = false;
  const provisions = await background;
  console.log(`provisions during the load: ${provisioned} ready, ${provisions.errors.length} errors`);
} catch (err) {
  console.error((err as Error).message);
  failed = true;
} finally {
  baseline.close();
  await svc.close();
}
process.exit(failed ? 1 : 0);
