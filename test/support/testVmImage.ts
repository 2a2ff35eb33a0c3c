import { isAbsolute, resolve } from 'node:path';
import type { CatalogImage } from '../../src/images/catalog.js';
import { loadCatalog } from '../../src/images/loadCatalog.js';

/**
 * The catalog's debian-12 VM image (built by scripts/build-vm-image), with its data-dir-relative
 * paths made absolute so tests and the bench can use any data dir of their own.
 */
const root = new URL('../..', import.meta.url).pathname;
const dataDir = resolve(root, process.env['REPRO_DATA_DIR'] ?? 'data');
const inData = (p: string) => (isAbsolute(p) ? p : resolve(dataDir, p));
const catalogImage = (await loadCatalog(resolve(root, 'images'))).get('debian-12');
const vm = catalogImage?.vm;
if (!catalogImage || !vm) throw new Error('images/debian-12/image.yaml has no vm: section');

export const testVmImage: CatalogImage = {
  ...catalogImage,
  vm: {
    ...vm,
    disk: inData(vm.disk),
    ...(vm.kernel ? { kernel: inData(vm.kernel) } : {}),
    ...(vm.initrd ? { initrd: inData(vm.initrd) } : {}),
  },
};
