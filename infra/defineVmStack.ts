import type * as pulumi from '@pulumi/pulumi';
import { planVmResources, type VmStackConfig } from '../src/provisioners/libvirt/vmStackConfig.js';
import { LibvirtDomain, LibvirtVolume } from './libvirtResource.js';

export interface VmStackOutputs {
  domainName: pulumi.Output<string>;
  sshUser: string;
  sshPort: number;
  envId: string;
  ticket: string;
}

/** Overlay and seed first, then the domain that uses them: the same order the direct engine follows. */
export function defineVmStack(config: VmStackConfig): VmStackOutputs {
  const r = planVmResources(config);
  const overlay = new LibvirtVolume('overlay', 'overlay', { ...r.overlay });
  const seed = new LibvirtVolume('seed', 'seed', { ...r.seed });
  const domain = new LibvirtDomain('domain', { ...r.domain }, { dependsOn: [overlay, seed] });
  return { domainName: domain.name, sshUser: config.user, sshPort: config.sshPort, envId: config.envId, ticket: config.ticket };
}
