import { join, resolve } from 'node:path';
import type { CatalogImage } from '../../src/images/catalog.js';

/** The image scripts/build-vm-image makes, as the catalog would describe it. */
const imageDir = resolve(process.env.REPRO_DATA_DIR ?? 'data', 'vm-images/debian-12');

export const testVmImage: CatalogImage = {
  name: 'debian-12',
  description: 'Debian 12 (bookworm)',
  distribution: 'debian',
  version: '12',
  family: 'debian',
  dir: 'images/debian-12',
  vm: {
    disk: join(imageDir, 'disk.qcow2'),
    kernel: join(imageDir, 'vmlinuz'),
    initrd: join(imageDir, 'initrd.img'),
    cmdline: 'root=/dev/vda rw console=ttyS0 quiet',
    cpus: 1,
    memoryMb: 1024,
    diskGb: 4,
    user: 'debian',
  },
};
