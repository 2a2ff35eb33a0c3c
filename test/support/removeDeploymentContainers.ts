import Docker from 'dockerode';
import { LABELS } from '../../src/provisioners/port.js';

/**
 * Removes the containers and networks one deployment labelled (a test that failed half-way leaves
 * some); containers first, since a network cannot go while one still uses it.
 */
export async function removeDeploymentContainers(deployment: string): Promise<void> {
  const docker = new Docker();
  const filters = { label: [`${LABELS.instance}=${deployment}`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}
