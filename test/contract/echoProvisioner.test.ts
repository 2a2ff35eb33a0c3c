import { createEchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import { repoCatalog } from '../support/harness.js';
import { describeProvisionerContract } from './provisioner.js';

describeProvisionerContract('echo', async () => {
  const image = (await repoCatalog()).get('debian-12')!;
  const spec = (envId: string, ticketId: string) => ({ envId, ticket: { system: 'generic', id: ticketId }, image, packages: [], limits: { cpus: 1, memoryMb: 256, pids: 64 } });
  return {
    provisioner: createEchoProvisioner({
      script: (s) => (s.ticket.id === 'SLOW' ? { kind: 'hang' } : s.ticket.id === 'REFUSED' ? { kind: 'fail', retryable: false } : { kind: 'ready' }),
    }),
    quick: (envId) => spec(envId, 'CONTRACT'),
    slow: (envId) => spec(envId, 'SLOW'),
    refused: (envId) => spec(envId, 'REFUSED'),
    unreachable: () => createEchoProvisioner({ reachable: false }),
    slowStepStarted: (line) => line.includes('will hang'),
  };
});
