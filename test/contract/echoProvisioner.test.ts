import { createEchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import { repoCatalog } from '../support/harness.js';
import { describeProvisionerContract } from './provisioner.js';

describeProvisionerContract('echo', async () => {
  const image = (await repoCatalog()).get('debian-12')!;
  const spec = (envId: string, ticketId: string) => ({ envId, ticket: { system: 'generic', id: ticketId }, image, packages: [], limits: { cpus: 1, memoryMb: 256, pids: 64 } });
  return {
    provisioner: createEchoProvisioner({ script: (s) => (s.ticket.id === 'SLOW' ? { kind: 'hang' } : { kind: 'ready' }) }),
    quick: (envId) => spec(envId, 'QUICK'),
    slow: (envId) => spec(envId, 'SLOW'),
    slowStepStarted: (line) => line.includes('will hang'),
  };
});
