import { spawn } from 'node:child_process';
import { splitLines } from '../text/splitLines.js';

export interface RunOptions {
  /** Each output line (stdout and stderr) as it arrives. */
  onLine?: (line: string) => void;
}

/** Runs argv without a shell, stdin closed; rejects with the command's last lines when it exits non-zero. */
export function runCommand(argv: string[], opts: RunOptions = {}): Promise<void> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('runCommand: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const emit = (raw: string): void => {
      // Logs and error messages want plain text, whether or not the tool colours its output.
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
      tail.push(line);
      if (tail.length > 15) tail.shift();
      opts.onLine?.(line);
    };
    for (const stream of [child.stdout, child.stderr].filter((s) => s !== null)) {
      const lines = splitLines((line) => {
        if (line.trim() !== '') emit(line);
      });
      stream.on('data', (chunk: Buffer) => lines.push(chunk));
      stream.on('end', () => lines.end());
    }
    child.on('error', (err) => reject(new Error(`${file}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${argv.slice(0, 3).join(' ')}… exited with ${signal ?? code}:\n${tail.join('\n')}`));
    });
  });
}
