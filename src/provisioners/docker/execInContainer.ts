import type Docker from 'dockerode';
import type { ExecOptions, ExecResult } from '../port.js';
import { demuxStream, type OutputStream } from './demuxStream.js';
import { splitLines } from '../../text/splitLines.js';

export interface ExecInContainerOptions extends ExecOptions {
  env?: string[];
  /** Every output line, also those past maxOutputBytes (progress streaming). */
  onLine?: (line: string, stream: OutputStream) => void;
}

/** Seconds `timeout` waits after TERM before KILL, and how long we then wait for the stream to end. */
const KILL_AFTER_S = 3;
const GRACE_MS = (KILL_AFTER_S + 2) * 1000;
const TIMED_OUT_EXIT = 124;

/**
 * Runs argv (no shell) in a running container; stdout and stderr are kept apart and bounded
 * together by maxOutputBytes. The engine cannot kill an exec, so coreutils `timeout` runs the
 * command inside the container; the client gives up on the stream shortly after, whatever happens.
 */
export async function execInContainer(container: Docker.Container, argv: string[], opts: ExecInContainerOptions): Promise<ExecResult> {
  const seconds = (opts.timeoutMs / 1000).toFixed(3);
  const exec = await container.exec({
    Cmd: ['timeout', '-k', String(KILL_AFTER_S), seconds, ...argv],
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(opts.env ? { Env: opts.env } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });

  const kept: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  let keptBytes = 0;
  let truncated = false;
  const lines = {
    stdout: splitLines((line) => opts.onLine?.(line, 'stdout')),
    stderr: splitLines((line) => opts.onLine?.(line, 'stderr')),
  };
  const feed = demuxStream((which, payload) => {
    if (opts.onLine) lines[which].push(payload);
    const room = opts.maxOutputBytes - keptBytes;
    if (payload.length > room) truncated = true;
    const part = payload.length > room ? payload.subarray(0, Math.max(room, 0)) : payload;
    if (part.length > 0) {
      kept[which].push(Buffer.from(part));
      keptBytes += part.length;
    }
  });

  let timedOut = false;
  const abandoned = await new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      hardStop = setTimeout(() => {
        stream.destroy();
        resolve(true);
      }, GRACE_MS);
    }, opts.timeoutMs);
    let hardStop: NodeJS.Timeout | undefined;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      clearTimeout(hardStop);
      if (err) reject(err);
      else resolve(false);
    };
    stream.on('data', (chunk: Buffer) => feed(chunk));
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', finish);
  });
  lines.stdout.end();
  lines.stderr.end();

  const exitCode = abandoned ? TIMED_OUT_EXIT : await exitCodeOf(exec);
  return {
    exitCode: timedOut ? TIMED_OUT_EXIT : exitCode,
    stdout: Buffer.concat(kept.stdout).toString('utf8'),
    stderr: Buffer.concat(kept.stderr).toString('utf8'),
    truncated,
    timedOut,
  };
}

/** The stream can end a moment before the engine records the exit code. */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('exec did not report an exit code');
}
