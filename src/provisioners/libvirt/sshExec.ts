import ssh2 from 'ssh2';
import type { ExecOptions, ExecResult } from '../port.js';
import { ProviderError } from '../../domain/errors.js';
import { shellQuote } from './shellQuote.js';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
}

/**
 * Runs argv over SSH. Output beyond maxOutputBytes (stdout and stderr together) is dropped
 * and flagged; past timeoutMs the session is closed and the result flagged as timed out.
 * Connection failures are ProviderErrors (retryable: the guest may still be booting).
 */
export function sshExec(target: SshTarget, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.end();
      fn();
    };
    const result = (exitCode: number): ExecResult => ({
      exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      truncated,
      timedOut,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      finish(() => resolve(result(124)));
    }, opts.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      const room = opts.maxOutputBytes - bytes;
      if (room <= 0) {
        truncated = true;
        return;
      }
      if (chunk.length > room) truncated = true;
      const part = chunk.subarray(0, room);
      bytes += part.length;
      into.push(part);
    };
    conn
      .on('ready', () => {
        conn.exec(shellQuote(argv), (e, stream) => {
          if (e) return finish(() => reject(new ProviderError(`ssh exec failed: ${e.message}`, { cause: e })));
          stream.on('data', collect(out));
          stream.stderr.on('data', collect(err));
          stream.on('close', (code: number | null, signal?: string) => {
            finish(() => resolve(result(code ?? (signal ? 128 : 255))));
          });
        });
      })
      .on('error', (e) => finish(() => reject(new ProviderError(`ssh to ${target.host}:${target.port} failed: ${e.message}`, { cause: e }))))
      .connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        readyTimeout: Math.min(opts.timeoutMs, 30_000),
        // Throwaway guests with fresh host keys: there is no known_hosts to check against.
        hostVerifier: () => true,
      });
  });
}
