/**
 * Fetches the official cloud images of the catalog's VM images into their `vm.disk` path (under
 * the data dir), checking each against its checksum: `npx tsx scripts/fetch-vm-images.ts [names...]`.
 * Images whose disk is already there, or that have no `vm.cloudImage`, are left alone.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { loadConfig } from '../src/config/loadConfig.js';
import { fetchCloudImage } from '../src/images/fetchCloudImage.js';
import { loadCatalog } from '../src/images/loadCatalog.js';

const config = loadConfig();
const catalog = await loadCatalog(config.imagesDir);
const names = process.argv.slice(2);
const unknown = names.filter((n) => !catalog.get(n));
if (unknown.length > 0) {
  console.error(`fetch-vm-images: unknown image ${unknown.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const image of names.length > 0 ? names.map((n) => catalog.get(n)!) : catalog.list()) {
  const vm = image.vm;
  if (!vm?.cloudImage) continue;
  const dest = isAbsolute(vm.disk) ? vm.disk : join(config.dataDir, vm.disk);
  if (await access(dest).then(() => true, () => false)) {
    console.log(`[${image.name}] ${dest} present`);
    continue;
  }
  await fetchCloudImage(vm.cloudImage, dest, (line) => console.log(`[${image.name}] ${line}`)).catch((err: unknown) => {
    failed = true;
    console.error(`[${image.name}] ${(err as Error).message}`);
  });
}
process.exit(failed ? 1 : 0);
