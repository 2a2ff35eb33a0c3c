import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ProviderError } from '../../domain/errors.js';
import { escapeXml } from './domainXml.js';
import type { Virsh } from './virsh.js';
import { isNotFound } from './virsh.js';

const run = promisify(execFile);

/** Deleting what is gone is success. */
export async function deleteVolume(virsh: Virsh, pool: string, name: string): Promise<void> {
  try {
    await virsh.run(['vol-delete', '--pool', pool, name]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * A qcow2 overlay on the image's base disk: the base stays shared and untouched. Volume XML
 * rather than `vol-create-as --backing-vol`, which only accepts a base that is a pool volume.
 */
export async function createOverlay(
  virsh: Virsh,
  v: { pool: string; name: string; backingPath: string; sizeGb: number },
): Promise<void> {
  await deleteVolume(virsh, v.pool, v.name);
  const xml =
    `<volume><name>${escapeXml(v.name)}</name><capacity unit='G'>${v.sizeGb}</capacity>` +
    `<target><format type='qcow2'/></target>` +
    `<backingStore><path>${escapeXml(v.backingPath)}</path><format type='qcow2'/></backingStore></volume>`;
  const dir = await mkdtemp(join(tmpdir(), 'repro-vol-'));
  try {
    await writeFile(join(dir, 'volume.xml'), xml);
    await virsh.run(['vol-create', v.pool, join(dir, 'volume.xml')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The NoCloud seed: an ISO labelled `cidata` built here, then uploaded into the pool, so it
 * reaches a remote hypervisor as well as the local one.
 */
export async function createSeedVolume(
  virsh: Virsh,
  v: { pool: string; name: string; files: Record<string, string> },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'repro-seed-'));
  try {
    const names = Object.keys(v.files);
    for (const name of names) await writeFile(join(dir, name), v.files[name] ?? '');
    const iso = join(dir, 'seed.iso');
    await makeIso(iso, dir, names);
    const { size } = await stat(iso);
    await deleteVolume(virsh, v.pool, v.name);
    await virsh.run(['vol-create-as', v.pool, v.name, String(size), '--format', 'raw']);
    await virsh.run(['vol-upload', '--pool', v.pool, v.name, iso]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeIso(out: string, dir: string, files: string[]): Promise<void> {
  const tools: Array<[string, string[]]> = [
    ['genisoimage', ['-quiet', '-output', out, '-volid', 'cidata', '-joliet', '-rock', ...files]],
    ['xorriso', ['-as', 'mkisofs', '-quiet', '-output', out, '-volid', 'cidata', '-joliet', '-rock', ...files]],
  ];
  for (const [tool, args] of tools) {
    try {
      await run(tool, args, { cwd: dir });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ProviderError(`${tool} could not build the seed ISO: ${(err as Error).message}`, { retryable: false, cause: err });
      }
    }
  }
  throw new ProviderError('no ISO tool found: install genisoimage or xorriso (scripts/setup-libvirt does)', { retryable: false });
}

/** Volume names in the pool, for the reconciler. */
export async function listVolumes(virsh: Virsh, pool: string): Promise<string[]> {
  try {
    await virsh.run(['pool-refresh', pool]);
    // `-q` table rows: "<name>   <path>"; our names hold no spaces.
    const out = await virsh.run(['vol-list', '--pool', pool]);
    return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}
