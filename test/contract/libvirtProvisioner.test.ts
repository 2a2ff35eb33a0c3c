/**
 * The real libvirtd and qemu (TCG here): the slow step is the boot and cloud-init of a VM, which
 * takes minutes. VM specifics (SSH access, exec bounds, volumes) are
 * test/integration/libvirtProvisioner.test.ts. Needs scripts/setup-libvirt.
 */
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createLibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { testVmImage } from '../support/testVmImage.js';
import type { CatalogImage } from '../../src/images/catalog.js';
import { describeProvisionerContract } from './provisioner.js';
import { vmDataDir } from '../support/vmDataDir.js';

const URI = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';

describeProvisionerContract('libvirt', async () => {
  const dataDir = await vmDataDir('ct-libvirt-');
  const pool = `repro-ct-${randomBytes(4).toString('hex')}`;
  const provisioner = createLibvirtProvisioner({ libvirt: { uri: URI, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' }, dataDir, pool });
  const virsh = createVirsh(URI);
  const spec = (envId: string, image = testVmImage) => ({ envId, ticket: { system: 'generic', id: 'CONTRACT' }, image, packages: [], limits: { cpus: 1, memoryMb: 1024, pids: 512, diskGb: 4 } });
  const withoutVm: CatalogImage = { ...testVmImage };
  delete withoutVm.vm;
  return {
    provisioner,
    quick: (envId) => spec(envId),
    slow: (envId) => spec(envId),
    // An image without VM settings: refused before anything is made.
    refused: (envId) => spec(envId, withoutVm),
    unreachable: () => createLibvirtProvisioner({
      libvirt: { uri: 'qemu+unix:///system?socket=/nonexistent/libvirt-sock', engine: 'direct', network: 'repro', sshHost: '127.0.0.1' }, dataDir, pool,
    }),
    slowStepStarted: (line) => line.startsWith('applying VM resources'),
    async close() {
      await provisioner.close();
      await virsh.run(['pool-destroy', pool]).catch(() => undefined);
      await virsh.run(['pool-undefine', pool]).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
