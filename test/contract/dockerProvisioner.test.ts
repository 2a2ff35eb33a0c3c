import Docker from 'dockerode';
import { createDockerProvisioner } from '../../src/provisioners/docker/createDockerProvisioner.js';
import { repoCatalog } from '../support/harness.js';
import { buildSlowAptImage } from '../support/slowAptImage.js';
import { describeProvisionerContract } from './provisioner.js';

/** The real Docker engine; the slow step is a package install whose apt-get sleeps for ten minutes. */
describeProvisionerContract('docker', async () => {
  const image = (await repoCatalog()).get('debian-12')!;
  const slowApt = await buildSlowAptImage(new Docker(), image);
  const limits = { cpus: 1, memoryMb: 256, pids: 64 };
  const ticket = { system: 'generic', id: 'CONTRACT' };
  return {
    provisioner: createDockerProvisioner({ hostId: 'test' }),
    quick: (envId) => ({ envId, ticket, image, packages: [], limits }),
    // No such image here and no registry to pull from: the engine answers 404.
    refused: (envId) => ({ envId, ticket, image: { ...image, container: { ...image.container!, tag: 'repro/contract-missing:none' } }, packages: [], limits }),
    unreachable: () => createDockerProvisioner({ hostId: 'test', dockerHost: 'unix:///nonexistent/docker.sock' }),
    slow: (envId) => ({ envId, ticket, image: slowApt.image, packages: ['curl'], limits }),
    slowStepStarted: (line) => line.startsWith('$ apt-get update'),
    close: () => slowApt.remove(),
  };
});
