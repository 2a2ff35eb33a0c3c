// Prints the console's JavaScript size, gzipped, and fails when it passes the budget (300 KB).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 300 * 1024;
const dir = join(import.meta.dirname, '../web/dist/assets');
const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
if (files.length === 0) {
  process.stderr.write(`check-web-size: no JavaScript in ${dir}; run npm run build:web\n`);
  process.exit(1);
}
let total = 0;
for (const file of files) {
  const gz = gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;
  total += gz;
  process.stdout.write(`  ${file.padEnd(40)} ${(gz / 1024).toFixed(1).padStart(7)} KB gzipped\n`);
}
process.stdout.write(`console JavaScript: ${(total / 1024).toFixed(1)} KB gzipped in all (budget ${BUDGET / 1024} KB)\n`);
if (total > BUDGET) {
  process.stderr.write('check-web-size: over budget\n');
  process.exit(1);
}
