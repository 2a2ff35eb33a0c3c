import ssh2 from 'ssh2';
import { ProviderError } from '../../domain/errors.js';
import type { TerminalSession, TerminalSize } from '../port.js';
import type { SshTarget } from './sshExec.js';

const CONNECT_TIMEOUT_MS = 20_000;

/** An interactive login shell over SSH with a PTY; resizing sends the window-change request. */
export function sshShell(target: SshTarget, size: TerminalSize): Promise<TerminalSession> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    let opened = false;
    conn
      .on('ready', () => {
        conn.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, (err, stream) => {
          if (err) {
            conn.end();
            reject(new ProviderError(`ssh shell failed: ${err.message}`, { cause: err }));
            return;
          }
          opened = true;
          const exitListeners: Array<(code?: number) => void> = [];
          let exitCode: number | undefined;
          let ended = false;
          const end = () => {
            if (ended) return;
            ended = true;
            conn.end();
            for (const listener of exitListeners) listener(exitCode);
          };
          stream.on('exit', (code: number | null) => {
            if (typeof code === 'number') exitCode = code;
          });
          stream.on('close', end);
          conn.on('close', end);
          resolve({
            write: (data) => {
              if (!ended) stream.write(data);
            },
            resize: async ({ cols, rows }) => {
              stream.setWindow(rows, cols, 0, 0);
            },
            onData: (listener) => {
              stream.on('data', listener);
              stream.stderr.on('data', listener);
            },
            onExit: (listener) => exitListeners.push(listener),
            close: end,
          });
        });
      })
      .on('error', (e) => {
        if (!opened) reject(new ProviderError(`ssh to ${target.host}:${target.port} failed: ${e.message}`, { cause: e }));
      })
      .connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        readyTimeout: CONNECT_TIMEOUT_MS,
        // Throwaway guests with fresh host keys: there is no known_hosts to check against.
        hostVerifier: () => true,
      });
  });
}
