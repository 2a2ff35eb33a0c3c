import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { TerminalSession, TerminalSize } from '../port.js';

/** `bash -l` where the image has bash, a login `sh` otherwise; `exec` so the shell's exit ends the session. */
export const LOGIN_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

/**
 * An exec with a TTY in a running container: one raw byte stream each way (no stdout/stderr
 * multiplexing on a TTY). The engine has no initial size for an exec on older API versions, so
 * the size is set right after start; the shell picks it up with SIGWINCH.
 */
export async function openContainerTerminal(container: Docker.Container, size: TerminalSize): Promise<TerminalSession> {
  const exec = await container.exec({
    Cmd: LOGIN_SHELL,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: ['TERM=xterm-256color'],
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  const resize = async ({ cols, rows }: TerminalSize) => {
    await exec.resize({ h: rows, w: cols });
  };
  const exitListeners: Array<(code?: number) => void> = [];
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    let code: number | undefined;
    try {
      const info = await exec.inspect();
      code = info.Running || info.ExitCode === null ? undefined : info.ExitCode;
    } catch {
      // The container went away with the shell: no exit code to report.
    }
    for (const listener of exitListeners) listener(code);
  };
  stream.on('end', () => void end());
  stream.on('close', () => void end());
  stream.on('error', () => void end());
  await resize(size).catch(() => undefined);
  return {
    write: (data) => {
      if (!ended) stream.write(data);
    },
    resize,
    onData: (listener) => stream.on('data', listener),
    onExit: (listener) => exitListeners.push(listener),
    close: () => stream.destroy(),
  };
}
