import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../domain/errors.js';

const FILE = 'secrets-key';

/**
 * The key that encrypts access secrets at rest: `secretsKey` (REPRO_SECRETS_KEY, 64 hex digits or
 * base64 of 32 bytes) when set, else one generated once into <dataDir>/secrets-key (mode 0600).
 * Processes that share a data directory share the generated key; split deployments on several
 * machines set the same REPRO_SECRETS_KEY everywhere.
 */
export function loadSecretsKey(config: { secretsKey?: string | undefined; dataDir: string }): Buffer {
  if (config.secretsKey) return decodeKey(config.secretsKey, 'secretsKey (REPRO_SECRETS_KEY)');
  const file = join(config.dataDir, FILE);
  const existing = readKeyFile(file);
  if (existing) return decodeKey(existing, file);
  mkdirSync(config.dataDir, { recursive: true });
  // Written whole under a temporary name, then linked: two processes starting together end with one key.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return decodeKey(readKeyFile(file) ?? '', file);
}

function readKeyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function decodeKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError(`invalid configuration: ${source} must be 32 bytes, as 64 hex digits or base64`);
  return key;
}
