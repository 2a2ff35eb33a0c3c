import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ReproError } from '../domain/errors.js';

/** Encrypts access secrets at rest: whoever reads Redis sees only ciphertext. */
export interface SecretBox {
  /** `context` (the environment id) is authenticated with the text: a sealed value moved to another record does not open. */
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

const VERSION = 'v1';

/** AES-256-GCM with a random 96-bit nonce per value; the format is `v1.<nonce>.<tag>.<ciphertext>`, base64url. */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new ReproError('config_invalid', 'the secrets key must be 32 bytes');
  return {
    seal(plain, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, nonce, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed, context) {
      const [version, nonce, tag, body] = sealed.split('.');
      if (version !== VERSION || !nonce || !tag || body === undefined) throw unreadable();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (err) {
        throw unreadable(err);
      }
    },
  };
}

const unreadable = (cause?: unknown) => new ReproError(
  'secrets_unreadable',
  'the access secrets cannot be decrypted: this process does not have the secrets key the worker used (set the same REPRO_SECRETS_KEY on every process)',
  { status: 500, cause },
);
