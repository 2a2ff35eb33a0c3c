import { createHash } from 'node:crypto';

/**
 * The dedupe key of a delivery: a hash of the bytes its signature covers, so a retry (same
 * bytes) is recognised and a replay cannot pass for a new delivery by changing an unsigned
 * header such as a delivery id. `signedId`, when given, must itself come from the signed body
 * (a journal or transaction id): it then names the same change across re-renderings.
 */
export function deliveryId(system: string, signedId: string | undefined, ...signed: Array<Buffer | string>): string {
  if (signedId && /^[A-Za-z0-9._:-]{1,200}$/.test(signedId)) return `${system}:${signedId}`;
  const hash = createHash('sha256');
  for (const part of signed) hash.update(part);
  return `${system}:sha256:${hash.digest('hex')}`;
}
