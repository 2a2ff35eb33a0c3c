/**
 * npm run bench:provision [-- --n 10 --concurrency 20 --image debian-12]
 *
 * Request→ready through repro (HTTP API, queue, worker, Docker) against, in the same run, the
 * same image started raw (create + start, no network, no hardening) with the same readiness
 * check (`true` exec'd inside). Prints p50/p95 for both and their ratio, sequential and concurrent,
 * then where repro's time goes: the API answer, the queue (request recorded → worker starts), the
 * provider step, the client seeing `ready`; and the engine calls of the provider step one by one,
 * with the same container's start on Docker's default bridge beside its start on its own network.
 */
import { parseArgs } from 'node:util';
import { containerOptions, networkOptions } from '../src/provisioners/docker/containerOptions.js';
import { execInContainer } from '../src/provisioners/docker/execInContainer.js';
import { removeContainer, removeNetwork } from '../src/provisioners/docker/removeResources.js';
import { byHand, docker, fmt, pct, pool, requestReady, startBenchService, type Ready } from './benchKit.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '20' }, image: { type: 'string', default: 'debian-12' } },
});
const N = Number(values.n);
const C = Number(values.concurrency);
const svc = await startBenchService({ image: values.image, live: Math.max(N, C), concurrency: C });
const { image } = svc;
const tag = image.container!.tag;

/** Milliseconds per phase of each request through repro, from the events' own times. */
const phases: Record<'api' | 'queue' | 'provider' | 'seen', number[]> = { api: [], queue: [], provider: [], seen: [] };

function recordPhases(r: Ready): void {
  const events = r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; at: string });
  const at = (type: string) => Date.parse(events.find((e) => e.type === type)?.at ?? '');
  const [requested, provisioning, ready] = [at('requested'), at('provisioning'), at('ready')];
  if ([requested, provisioning, ready].some(Number.isNaN)) return;
  phases.api.push(r.postedMs);
  phases.queue.push(provisioning - requested);
  phases.provider.push(ready - provisioning);
  phases.seen.push(r.seenAt - ready);
}

async function round(label: string, concurrency: number, count: number): Promise<number> {
  const raw = await pool(count, concurrency, () => byHand(tag, svc.id));
  await Promise.all(raw.results.map((r) => r.container.remove({ force: true })));
  const repro = await pool(count, concurrency, async () => {
    const r = await requestReady(svc, {});
    recordPhases(r);
    return r;
  });
  await Promise.all(repro.results.map((r) => svc.deps.service.requestDestroy(r.envId, 'bench', 'bench done')));
  const [reproTimes, rawTimes] = [repro.results.map((r) => r.ms), raw.results.map((r) => r.ms)];
  const errors = [...raw.errors, ...repro.errors];
  for (const e of errors) console.error(e);
  const [rp50, rp95, bp50, bp95] = [pct(reproTimes, 50), pct(reproTimes, 95), pct(rawTimes, 50), pct(rawTimes, 95)];
  console.log(`${label.padEnd(22)} repro p50 ${fmt(rp50)}  p95 ${fmt(rp95)} | raw docker p50 ${fmt(bp50)}  p95 ${fmt(bp95)} | ratio p50 ${(rp50 / bp50).toFixed(2)}  p95 ${(rp95 / bp95).toFixed(2)} | ${reproTimes.length}+${rawTimes.length} runs, ${errors.length} errors`);
  return errors.length;
}

/** The provider step's engine calls one at a time, as the Docker provisioner makes them. */
async function engineSteps(count: number): Promise<void> {
  const steps: Record<string, number[]> = { 'network create': [], 'container create': [], 'network ‖ container create': [], start: [], 'readiness exec': [], 'start on the default bridge': [] };
  const time = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await work();
    steps[step]!.push(performance.now() - t);
    return out;
  };
  for (let i = 0; i < count; i++) {
    const envId = `bench-${svc.id}-steps-${i}`;
    const labels = { 'io.repro.bench': svc.id };
    const spec = { envId, ticket: { system: 'generic', id: 'BENCH' }, image, packages: [], limits: { ...svc.config.limits } };
    await time('network create', () => docker.createNetwork(networkOptions(envId, labels)));
    let container = await time('container create', () => docker.createContainer(containerOptions(spec, tag, labels)));
    await removeContainer(docker, container.id);
    await removeNetwork(docker, `repro-${envId}`);
    [, container] = await time('network ‖ container create', () =>
      Promise.all([docker.createNetwork(networkOptions(envId, labels)), docker.createContainer(containerOptions(spec, tag, labels))]));
    await time('start', () => container.start());
    await time('readiness exec', () => execInContainer(container, ['true'], { timeoutMs: 30_000, maxOutputBytes: 4096 }));
    await removeContainer(docker, container.id);
    await removeNetwork(docker, `repro-${envId}`);
    // The same hardened container on Docker's default bridge: what the per-environment network
    // adds to the start (the engine's embedded DNS set-up, which user-defined networks get).
    const options = containerOptions(spec, tag, labels);
    container = await docker.createContainer({ ...options, HostConfig: { ...options.HostConfig, NetworkMode: 'bridge' }, NetworkingConfig: {} });
    await time('start on the default bridge', () => container.start());
    await removeContainer(docker, container.id);
  }
  console.log(`engine calls (p50 of ${count}): ${Object.entries(steps).map(([k, v]) => `${k} ${pct(v, 50).toFixed(0)} ms`).join(', ')}`);
}

console.log(`bench:provision image=${image.name} (${tag}) n=${N} concurrency=${C}, no extra packages, cached image`);
let errors = 0;
try {
  // Warm-up: first-request costs out of the numbers.
  await requestReady(svc, {}).then((r) => svc.deps.service.requestDestroy(r.envId, 'bench', 'warm-up'));
  errors += await round('sequential', 1, N);
  console.log(`where repro's time goes (p50, sequential): ${Object.entries(phases).map(([k, v]) => `${k} ${pct(v, 50).toFixed(0)} ms`).join(', ')}`);
  errors += await round(`concurrency ${C}`, C, Math.max(N, C));
  await engineSteps(Math.min(N, 10));
} finally {
  await svc.close();
}
process.exit(errors > 0 ? 1 : 0);
