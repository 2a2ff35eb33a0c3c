import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface StackLock {
  stack: string;
  file: string;
  pid: number;
  hostname: string;
}

/**
 * Lock files of the file backend (`.pulumi/locks/[organization/<project>/]<stack>/<id>.json`,
 * each naming the pid and host holding it).
 */
export async function listStackLocks(backendDir: string): Promise<StackLock[]> {
  const locks: StackLock[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() && depth < 4) await walk(path, depth + 1);
      else if (e.isFile() && e.name.endsWith('.json')) {
        try {
          const body = JSON.parse(await readFile(path, 'utf8')) as { pid?: number; hostname?: string };
          locks.push({ stack: dir.split('/').pop() ?? '', file: path, pid: body.pid ?? 0, hostname: body.hostname ?? '' });
        } catch {
          // A lock being written right now: not stale.
        }
      }
    }
  };
  await walk(join(backendDir, '.pulumi', 'locks'), 0);
  return locks;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Held by a process of this host that no longer runs: a worker killed mid-update. */
export function isStale(lock: StackLock, host = hostname()): boolean {
  return lock.hostname === host && lock.pid > 0 && !alive(lock.pid);
}

export async function removeStaleLocks(backendDir: string, stack: string): Promise<number> {
  const stale = (await listStackLocks(backendDir)).filter((l) => l.stack === stack && isStale(l));
  await Promise.all(stale.map((l) => rm(l.file, { force: true })));
  return stale.length;
}
