import type { ManagedResource, ProgressSink } from '../port.js';
import type { VmStackConfig } from './vmStackConfig.js';

export type EngineName = 'direct' | 'pulumi';

/** Applies and tears down a VM environment's libvirt resources; readiness is the provisioner's. */
export interface VmEngine {
  readonly name: EngineName;
  apply(config: VmStackConfig, progress: ProgressSink): Promise<void>;
  /** Idempotent: tearing down what is gone is success. */
  destroy(envId: string, progress: ProgressSink): Promise<void>;
  /** State the engine keeps besides libvirt (Pulumi stacks, stale locks), for the reconciler. */
  list(): Promise<ManagedResource[]>;
  remove(resource: ManagedResource): Promise<void>;
}
