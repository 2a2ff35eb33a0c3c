import type { Virsh } from './virsh.js';
import { isNotFound } from './virsh.js';

/** Our volumes live in one directory pool; defined and started on first use. */
export async function ensurePool(virsh: Virsh, pool: string, path: string): Promise<void> {
  let info: string;
  try {
    info = await virsh.run(['pool-info', pool]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await virsh.run(['pool-define-as', pool, 'dir', '--target', path]);
      await virsh.run(['pool-build', pool]);
      await virsh.run(['pool-autostart', pool]);
    } catch (defineErr) {
      // Another worker defined it between our two calls.
      if (!/already exists/i.test(String(defineErr))) throw defineErr;
    }
    info = await virsh.run(['pool-info', pool]);
  }
  if (!/^State:\s+running/m.test(info)) await virsh.run(['pool-start', pool]);
}
