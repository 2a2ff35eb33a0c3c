/**
 * Installs (idempotently) and checks the host firewall rules that keep environments from the
 * host, the metadata address and each other; `--check` only reports. Exits 1 when they are not
 * in place. The worker runs the same code at start.
 */
import { loadConfig } from '../src/config/loadConfig.js';
import { checkIsolation, ensureIsolation } from '../src/network/ensureIsolation.js';
import { isolationRules, packageCacheService } from '../src/network/isolationRules.js';

// The package cache of REPRO_PACKAGE_CACHE_URL (or the REPRO_CONFIG file) is the one host service let through.
const rules = isolationRules(packageCacheService(loadConfig().packageCache.url));

if (process.argv.includes('--check')) {
  const problems = await checkIsolation(rules);
  for (const p of problems) process.stderr.write(`missing: ${p}\n`);
  process.stdout.write(problems.length === 0 ? 'environment isolation rules in place\n' : '');
  process.exit(problems.length === 0 ? 0 : 1);
}
try {
  await ensureIsolation(rules);
  process.stdout.write('environment isolation rules in place\n');
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
