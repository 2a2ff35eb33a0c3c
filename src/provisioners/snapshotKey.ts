import { createHash } from 'node:crypto';
import type { PackageFamily } from '../domain/packages.js';

/**
 * The key of a package set, shared by container and VM snapshots: the base's identity, family,
 * the packages sorted (versions as asked), and the package cache the package manager was pointed at.
 */
export function snapshotKey(baseId: string, family: PackageFamily, packages: string[], proxyUrl: string | undefined): string {
  const sorted = [...new Set(packages)].sort();
  return createHash('sha256').update(JSON.stringify([baseId, family, sorted, proxyUrl ?? null])).digest('hex');
}
