/**
 * npm run bench:images [-- --image debian-12 --runs 3]
 *
 * In one run, side by side: a cold build through repro's builder (dockerode, layer cache off),
 * a no-op rebuild with the same inputs, and the same `docker build` by hand with the same context
 * and build arguments (cold, then again with the layer cache, which is what a rebuild costs
 * without content-hash tags). Uses its own repositories (repro-bench/…) and removes them after.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { loadConfig } from '../src/config/loadConfig.js';
import { buildArgs } from '../src/images/buildArgs.js';
import { buildContext } from '../src/images/buildContext.js';
import { buildImage } from '../src/images/buildImage.js';
import { mirrorsFrom } from '../src/images/buildOptions.js';
import { loadCatalog } from '../src/images/loadCatalog.js';
import { dockerClientOptions } from '../src/docker/dockerClientOptions.js';

const { values } = parseArgs({ options: { image: { type: 'string', default: 'debian-12' }, runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));
const config = loadConfig();
const catalog = await loadCatalog(config.imagesDir);
const source = catalog.get(values.image);
if (!source?.container) throw new Error(`image ${values.image} has no container settings`);
const clientOptions = dockerClientOptions(config.dockerHost);
const docker = clientOptions ? new Docker(clientOptions) : new Docker();
const id = randomBytes(3).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'repro-bench-images-'));
const mirrors = mirrorsFrom(config);
const repro = { ...source, container: { ...source.container, tag: `repro-bench/${source.name}-${id}:latest` } };
const byHand = `repro-bench/${source.name}-${id}-cli:latest`;

// The by-hand context: the same files repro sends (image folder + _families).
const contextDir = join(work, 'context');
for (const f of await buildContext(source.dir)) {
  mkdirSync(dirname(join(contextDir, f.path)), { recursive: true });
  writeFileSync(join(contextDir, f.path), f.content, { mode: f.mode });
}
const cliArgs = Object.entries(buildArgs(source, mirrors)).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function dockerBuild(noCache: boolean): void {
  execFileSync('docker', ['build', '--quiet', ...(noCache ? ['--no-cache'] : []), '-t', byHand, '-f', join(contextDir, source!.container!.dockerfile), ...cliArgs, contextDir], {
    stdio: 'ignore', env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
}

const rows: Record<string, number[]> = { 'repro cold build': [], 'repro no-op rebuild': [], 'docker build cold': [], 'docker build cached': [] };
try {
  for (let i = 0; i < runs; i++) {
    const opts = { docker, mirrors, workDir: work, log: () => undefined };
    rows['repro cold build']!.push(await timed(() => buildImage(repro, { ...opts, noCache: true })));
    rows['repro no-op rebuild']!.push(await timed(async () => {
      const built = await buildImage(repro, opts);
      if (!built.cached) throw new Error('the rebuild with the same inputs was not a no-op');
    }));
    rows['docker build cold']!.push(await timed(() => dockerBuild(true)));
    rows['docker build cached']!.push(await timed(() => dockerBuild(false)));
  }
} finally {
  const tags = (await docker.listImages({ filters: { reference: [`repro-bench/${source.name}-${id}*`] } })).flatMap((i) => i.RepoTags ?? []);
  for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log(`\nimage ${source.name}, ${runs} run(s), median seconds\n`);
for (const [name, xs] of Object.entries(rows)) console.log(`${name.padEnd(22)} ${median(xs).toFixed(3).padStart(9)}   [${xs.map((x) => x.toFixed(2)).join(', ')}]`);
const ratio = (a: string, b: string) => (median(rows[a]!) / median(rows[b]!)).toFixed(2);
console.log(`\nrepro cold / docker build cold       ${ratio('repro cold build', 'docker build cold')}`);
console.log(`repro no-op / docker build cached    ${ratio('repro no-op rebuild', 'docker build cached')}`);
console.log(`no-op rebuild under 1 s: ${median(rows['repro no-op rebuild']!) < 1 ? 'yes' : 'NO'}`);
