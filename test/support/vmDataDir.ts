import { chmod, mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * A fresh data dir for a test that boots VMs. Not under /tmp: qemu runs as libvirt-qemu and must
 * reach the pool, state and snapshot dirs made inside it.
 */
export async function vmDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(resolve('data'), prefix));
  await chmod(dir, 0o755);
  return dir;
}
