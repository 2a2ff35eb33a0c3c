import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ProviderError } from '../domain/errors.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The expected sha256 of `file` from a checksum list, in either common layout: GNU
 * (`<hex>  <file>` or `<hex> *<file>`, Ubuntu's SHA256SUMS) or BSD (`SHA256 (<file>) = <hex>`,
 * Rocky's and CentOS's CHECKSUM files). Lines are scanned once each.
 */
export function checksumFromList(list: string, file: string): string | undefined {
  for (const raw of list.split('\n')) {
    const line = raw.trim();
    const bsd = /^SHA256 \((.+)\) = ([0-9a-f]{64})$/.exec(line);
    if (bsd && bsd[1] === file) return bsd[2];
    const gnu = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (gnu && gnu[2] === file) return gnu[1];
  }
  return undefined;
}

async function expectedSha256(checksum: string, file: string): Promise<string> {
  if (checksum.startsWith('sha256:')) return checksum.slice('sha256:'.length);
  const res = await fetch(checksum);
  if (!res.ok) throw new ProviderError(`checksum list ${checksum} answered ${res.status}`, { retryable: res.status >= 500 });
  const found = checksumFromList(await res.text(), file);
  if (!found || !HEX64.test(found)) throw new ProviderError(`checksum list ${checksum} does not name ${file}`, { retryable: false });
  return found;
}

/**
 * Downloads a cloud image into `dest`, hashing while it streams; the file appears under its name
 * only when its sha256 matches, so a broken download never becomes a base disk.
 */
export async function fetchCloudImage(image: { url: string; checksum: string }, dest: string, log: (line: string) => void): Promise<string> {
  const file = basename(new URL(image.url).pathname);
  const expected = await expectedSha256(image.checksum, file);
  await mkdir(dirname(dest), { recursive: true });
  const partial = `${dest}.part`;
  log(`fetching ${image.url}`);
  const res = await fetch(image.url);
  if (!res.ok || !res.body) throw new ProviderError(`${image.url} answered ${res.status}`, { retryable: res.status >= 500 });
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), hashing, createWriteStream(partial));
    const actual = hash.digest('hex');
    if (actual !== expected) throw new ProviderError(`${file}: sha256 ${actual} is not the expected ${expected}`, { retryable: false });
    await rename(partial, dest);
    log(`${dest}: sha256 ${actual} verified`);
    return actual;
  } finally {
    await rm(partial, { force: true });
  }
}
