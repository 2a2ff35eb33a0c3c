/**
 * npm run bench:packages [-- --n 3 --image debian-12 --packages nginx,php8.2-fpm,mariadb-server]
 *
 * A request with packages through repro against the same work by hand, in the same run:
 * - cold: no package-set snapshot of the set (removed first if one exists and nothing uses it),
 *   against `docker run` + `apt-get update` + `apt-get install` by hand. Both sides fetch through
 *   the host's package cache (when one is configured), warmed for the set before either is timed:
 *   like with like, the download costs each side the same and neither pays the other's misses.
 * - repeated: the same request again, started from its snapshot, against a bare container by hand
 *   (create + start + readiness exec), n times.
 * Prints each side, their ratio, and whether the repeated requests did start from the snapshot.
 */
import { parseArgs } from 'node:util';
import { SNAPSHOT_REPO } from '../src/provisioners/docker/packageSnapshots.js';
import { snapshotKey } from '../src/provisioners/snapshotKey.js';
import { byHand, docker, fmt, pct, requestReady, startBenchService } from './benchKit.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '3' },
    image: { type: 'string', default: 'debian-12' },
    packages: { type: 'string', default: 'nginx,php8.2-fpm,mariadb-server' },
  },
});
const N = Number(values.n);
const packages = values.packages.split(',').map((p) => p.trim()).filter(Boolean);
const svc = await startBenchService({ image: values.image, live: N + 2, concurrency: 2 });
const tag = svc.image.container!.tag;
const cacheUrl = svc.config.packageCache.url === 'off' ? undefined : svc.config.packageCache.url;
const rhel = svc.image.family === 'rhel';
const proxy = cacheUrl === undefined ? [] : rhel ? [`--setopt=proxy=${cacheUrl}`] : ['-o', `Acquire::http::Proxy=${cacheUrl}`];
const aptOptions = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...proxy];
/** The by-hand install; `downloadOnly` fetches the set (through the cache) without installing it. */
const installCommands = (downloadOnly: boolean) => rhel
  ? [['dnf', 'install', '-y', ...(downloadOnly ? ['--downloadonly'] : []), '--setopt=install_weak_deps=False', ...proxy, ...packages]]
  : [['apt-get', 'update', '-q', ...proxy], ['apt-get', 'install', '-y', ...(downloadOnly ? ['-d'] : []), '-q', '--no-install-recommends', ...aptOptions, ...packages]];
const install = installCommands(false);

console.log(`bench:packages image=${svc.image.name} (${tag}) packages=${packages.join(' ')} n=${N} package cache=${cacheUrl ?? 'off'}${cacheUrl ? ' (both sides, warmed for the set first)' : ' (both sides from the mirror)'}`);
let failed = false;
try {
  if (cacheUrl) await byHand(tag, svc.id, installCommands(true)).then((warm) => warm.container.remove({ force: true }));

  // Cold: no snapshot of this set on this engine.
  const baseId = (await docker.getImage(tag).inspect()).Id;
  const key = snapshotKey(baseId, svc.image.family, packages, cacheUrl);
  await docker.getImage(`${SNAPSHOT_REPO}:${key}`).remove().catch(() => undefined);

  const hand = await byHand(tag, svc.id, install);
  await hand.container.remove({ force: true });
  const cold = await requestReady(svc, { packages });
  await svc.deps.service.requestDestroy(cold.envId, 'bench', 'bench done');
  console.log(`cold      repro ${fmt(cold.ms)} | by hand (docker run + ${install.map((c) => c.slice(0, 2).join(' ')).join(' + ')}) ${fmt(hand.ms)} | ratio ${(cold.ms / hand.ms).toFixed(2)}`);

  const repro: number[] = [];
  const bare: number[] = [];
  let fromSnapshot = 0;
  for (let i = 0; i < N; i++) {
    const b = await byHand(tag, svc.id);
    bare.push(b.ms);
    await b.container.remove({ force: true });
    const r = await requestReady(svc, { packages: [...packages].reverse() });
    repro.push(r.ms);
    if ((await svc.deps.store.get(r.envId))?.provenance?.snapshot === key) fromSnapshot += 1;
    await svc.deps.service.requestDestroy(r.envId, 'bench', 'bench done');
  }
  const [rp50, bp50] = [pct(repro, 50), pct(bare, 50)];
  console.log(`repeated  repro p50 ${fmt(rp50)} | bare container by hand p50 ${fmt(bp50)} | ratio ${(rp50 / bp50).toFixed(2)} | ${fromSnapshot}/${N} started from the snapshot`);
  failed = fromSnapshot !== N;
} catch (err) {
  console.error((err as Error).message);
  failed = true;
} finally {
  await svc.close();
}
process.exit(failed ? 1 : 0);
