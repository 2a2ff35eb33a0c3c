/**
 * The three libvirt resources of a VM environment, as create/delete operations on plain JSON
 * inputs. The direct engine calls them in order; the Pulumi program's dynamic resources call
 * them through stepCli.ts. Nothing else talks to libvirt on the apply path.
 */
import type { DomainSpec } from './domainXml.js';
import { defineAndStart, destroyDomain } from './domains.js';
import { ensurePool } from './pool.js';
import { createVirsh } from './virsh.js';
import { createOverlay, createSeedVolume, deleteVolume } from './volumes.js';

interface PoolRef {
  uri: string;
  pool: string;
  poolPath: string;
}

/** Enough to delete a volume: deletes take the create inputs or just this. */
export type VolumeRef = Pick<PoolRef, 'uri' | 'pool'> & { name: string };

export interface OverlayInputs extends PoolRef {
  name: string;
  backingPath: string;
  sizeGb: number;
}

export interface SeedInputs extends PoolRef {
  name: string;
  files: Record<string, string>;
}

export interface DomainInputs extends DomainSpec {
  uri: string;
}

export const steps = {
  async createOverlay(i: OverlayInputs): Promise<void> {
    const virsh = createVirsh(i.uri);
    await ensurePool(virsh, i.pool, i.poolPath);
    await createOverlay(virsh, i);
  },
  async deleteOverlay(i: VolumeRef): Promise<void> {
    await deleteVolume(createVirsh(i.uri), i.pool, i.name);
  },
  async createSeed(i: SeedInputs): Promise<void> {
    const virsh = createVirsh(i.uri);
    await ensurePool(virsh, i.pool, i.poolPath);
    await createSeedVolume(virsh, i);
  },
  async deleteSeed(i: VolumeRef): Promise<void> {
    await deleteVolume(createVirsh(i.uri), i.pool, i.name);
  },
  async createDomain(i: DomainInputs): Promise<void> {
    await defineAndStart(createVirsh(i.uri), i);
  },
  async deleteDomain(i: Pick<DomainInputs, 'uri' | 'name'>): Promise<void> {
    await destroyDomain(createVirsh(i.uri), i.name);
  },
};

export type StepName = keyof typeof steps;

export function isStepName(name: string): name is StepName {
  return Object.hasOwn(steps, name);
}
