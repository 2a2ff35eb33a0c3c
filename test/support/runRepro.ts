import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Run { code: number | null; stdout: string; stderr: string }

const BIN = join(import.meta.dirname, '../../bin/repro.js');

/**
 * The real `repro` binary, as a user runs it: only PATH and the given env (HOME empty unless
 * given, so the runner's own configuration is never read); `onStderr` sees stderr as it comes.
 */
export function runRepro(
  args: string[],
  opts: { env: Record<string, string>; stdin?: string; timeoutMs?: number; onStderr?: (text: string) => void; signal?: AbortSignal },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: opts.env['HOME'] ?? '', ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
    child.on('error', () => undefined);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`repro ${args.join(' ')} did not finish; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
