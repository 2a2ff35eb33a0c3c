import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { loadSecretsKey } from '../../../src/secrets/loadSecretsKey.js';

describe('loadSecretsKey', () => {
  it('generates a key once into <dataDir>/secrets-key, readable by the owner only, and keeps it', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'repro-key-')), 'nested');
    const first = loadSecretsKey({ dataDir });
    expect(first).toHaveLength(32);
    const file = join(dataDir, 'secrets-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('hex'));
    expect(loadSecretsKey({ dataDir }).equals(first)).toBe(true);
  });

  it('takes the configured key, as hex or base64, over the file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repro-key-'));
    const key = randomBytes(32);
    expect(loadSecretsKey({ dataDir, secretsKey: key.toString('hex') }).equals(key)).toBe(true);
    expect(loadSecretsKey({ dataDir, secretsKey: key.toString('base64') }).equals(key)).toBe(true);
    expect(() => statSync(join(dataDir, 'secrets-key'))).toThrow();
  });

  it('refuses a configured key that is not 32 bytes, naming the setting', () => {
    expect(() => loadSecretsKey({ dataDir: tmpdir(), secretsKey: 'x'.repeat(40) })).toThrow(ConfigError);
    expect(() => loadSecretsKey({ dataDir: tmpdir(), secretsKey: 'x'.repeat(40) })).toThrow(/REPRO_SECRETS_KEY/);
  });
});
