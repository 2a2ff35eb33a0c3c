import type { ProgressSink } from '../port.js';
import { vmNames } from './names.js';
import { steps } from './steps.js';
import type { VmEngine } from './vmEngine.js';
import { planVmResources, type VmStackConfig } from './vmStackConfig.js';

export interface DirectEngineOptions {
  uri: string;
  pool: string;
}

/** Tears down one environment's libvirt resources by name: shared by both engines. */
export async function teardownVm(o: DirectEngineOptions, envId: string, progress: ProgressSink): Promise<void> {
  const names = vmNames(envId);
  await steps.deleteDomain({ uri: o.uri, name: names.domain });
  await steps.deleteOverlay({ uri: o.uri, pool: o.pool, name: names.overlay });
  await steps.deleteSeed({ uri: o.uri, pool: o.pool, name: names.seed });
  progress(`removed domain ${names.domain}, its overlay and seed`);
}

/** Applies the same resources as the Pulumi program, in dependency order, without the CLI. */
export function createDirectEngine(o: DirectEngineOptions): VmEngine {
  return {
    name: 'direct',
    async apply(config: VmStackConfig, progress) {
      const r = planVmResources(config);
      progress(`creating overlay ${r.overlay.name} (${r.overlay.sizeGb} GiB on ${r.overlay.backingPath})`);
      await steps.createOverlay(r.overlay);
      progress(`creating seed ${r.seed.name}`);
      await steps.createSeed(r.seed);
      progress(`starting domain ${r.domain.name} (${r.domain.type}, ${r.domain.cpus} vCPU, ${r.domain.memoryMb} MiB)`);
      await steps.createDomain(r.domain);
    },
    destroy: (envId, progress) => teardownVm(o, envId, progress),
    list: async () => [],
    async remove() {},
  };
}
