import type { ExecResult } from '../../provisioners/port.js';
import type { ApiClient } from '../apiClient.js';

/** Runs argv in the environment; prints its output and exits with its exit code (like ssh). */
export async function execCommand(api: ApiClient, json: boolean, id: string, command: string[]): Promise<number> {
  const result = await api.call<ExecResult>('POST', `/v1/environments/${encodeURIComponent(id)}/exec`, { command });
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.truncated) process.stderr.write('repro: output truncated by the server\n');
    if (result.timedOut) process.stderr.write('repro: the command timed out\n');
  }
  return result.exitCode;
}
