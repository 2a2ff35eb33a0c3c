/**
 * npm run bench:terminal [-- --keys 200]
 *
 * Keystroke echo through repro's terminal WebSocket (auth, policy, the provisioner's TTY, the
 * transcript) against the same keystrokes through a TTY exec the engine attaches directly (what
 * `docker exec -it` does), on the same container in the same run. Prints p50/p99 of both and their
 * ratio. Target: repro's echo under 50 ms on loopback.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { resourceName } from '../src/provisioners/docker/containerOptions.js';
import { docker, pct, requestReady, startBenchService } from './benchKit.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '200' }, image: { type: 'string', default: 'debian-12' } } });
const KEYS = Math.min(Math.max(Number(values.keys), 1), 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Types one letter at a time and times each until the shell echoes it back. */
async function echoTimes(write: (b: Buffer) => void, onData: (cb: (text: string) => void) => void): Promise<number[]> {
  let waiting: ((text: string) => void) | undefined;
  onData((text) => waiting?.(text));
  await sleep(1500); // the login shell's prompt
  const times: number[] = [];
  for (let i = 0; i < KEYS; i += 1) {
    const letter = 'abcdefghij'[i % 10]!;
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo of "${letter}" within 5 s`)), 5000);
      waiting = (text) => {
        if (!text.includes(letter)) return;
        clearTimeout(timer);
        waiting = undefined;
        resolve();
      };
      write(Buffer.from(letter));
    });
    times.push(performance.now() - start);
    // Ctrl-U empties the line now and then, so the shell never redraws a long one.
    if (i % 40 === 39) {
      write(Buffer.from('\x15'));
      await sleep(100);
    }
  }
  return times;
}

const svc = await startBenchService({ image: values.image, live: 2, concurrency: 1 });
try {
  const { envId } = await requestReady(svc, {});

  const ws = new WebSocket(`${svc.base.replace(/^http/, 'ws')}/v1/environments/${envId}/terminal`, { headers: { authorization: `Bearer ${svc.token}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const viaRepro = await echoTimes(
    (b) => ws.send(b, { binary: true }),
    (cb) => ws.on('message', (data: Buffer) => cb(data.toString('utf8'))),
  );
  ws.close();

  const exec = await docker.getContainer(resourceName(envId)).exec({
    Cmd: ['bash', '-l'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true,
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
  const byHand = await echoTimes(
    (b) => stream.write(b),
    (cb) => stream.on('data', (chunk: Buffer) => cb(chunk.toString('utf8'))),
  );
  stream.end('exit\r');

  // Echoes on loopback take well under a millisecond: two decimals.
  const ms = (x: number) => `${x.toFixed(2).padStart(7)} ms`;
  const line = (name: string, xs: number[]) => `${name.padEnd(28)} p50 ${ms(pct(xs, 50))}  p99 ${ms(pct(xs, 99))}`;
  console.log(`keystroke echo, ${KEYS} keys, one container`);
  console.log(line('repro terminal (WebSocket)', viaRepro));
  console.log(line('engine TTY exec (by hand)', byHand));
  console.log(`ratio p50 ${(pct(viaRepro, 50) / pct(byHand, 50)).toFixed(2)}  p99 ${(pct(viaRepro, 99) / pct(byHand, 99)).toFixed(2)}`);
  console.log(`target: repro p99 under 50 ms: ${pct(viaRepro, 99) < 50 ? 'met' : 'NOT met'}`);
} finally {
  await svc.close();
}
