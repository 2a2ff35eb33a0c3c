import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../../src/secrets/secretBox.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));
  const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';

  it('seals into text that holds nothing of the secret, and opens it back', () => {
    const sealed = box.seal(secret, 'env-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('PRIVATE');
    expect(box.open(sealed, 'env-1')).toBe(secret);
    expect(box.seal(secret, 'env-1')).not.toBe(sealed); // a fresh nonce each time
  });

  it('refuses to open with another key, for another environment, or after tampering', () => {
    const sealed = box.seal(secret, 'env-1');
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'env-1')).toThrow(/secrets key/);
    expect(() => box.open(sealed, 'env-2')).toThrow(/secrets key/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from(Buffer.from(parts[3]!, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url');
    expect(() => box.open(parts.join('.'), 'env-1')).toThrow(/secrets key/);
    expect(() => box.open('garbage', 'env-1')).toThrow(/secrets key/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
