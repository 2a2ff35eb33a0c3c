import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/loadConfig.js';
import { BOOTSTRAP_ADMIN } from '../domain/systemActors.js';
import type { TokenStore } from '../store/tokenStore.js';

/**
 * Registers the bootstrap admin token: REPRO_ADMIN_TOKEN when set, else one generated once and
 * kept in <dataDir>/admin-token (mode 0600) so restarts keep it. Returns where it came from.
 */
export async function bootstrapAdminToken(config: Pick<Config, 'adminToken' | 'dataDir'>, tokens: TokenStore): Promise<string> {
  if (config.adminToken) {
    await tokens.register(config.adminToken, BOOTSTRAP_ADMIN, 'admin');
    return 'REPRO_ADMIN_TOKEN';
  }
  const file = join(config.dataDir, 'admin-token');
  let token = await readFile(file, 'utf8').then((t) => t.trim()).catch(() => '');
  if (!token) {
    token = `rp_${randomBytes(24).toString('base64url')}`;
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  }
  await tokens.register(token, BOOTSTRAP_ADMIN, 'admin');
  return file;
}
