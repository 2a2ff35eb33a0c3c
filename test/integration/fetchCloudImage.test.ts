import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumFromList, fetchCloudImage } from '../../src/images/fetchCloudImage.js';

/** Cloud image downloads against an HTTP server of the test's own on 127.0.0.1 (a stand-in for the distribution's). */
const disk = Buffer.from('QFI\xfb a pretend qcow2 image '.repeat(5000));
const sha = createHash('sha256').update(disk).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'repro-cloud-image-'));
let server: Server;
let base: string;

beforeAll(async () => {
  const files: Record<string, string | Buffer> = {
    '/images/Rocky-9-GenericCloud.qcow2': disk,
    '/images/CHECKSUM': `# Rocky-9-GenericCloud.qcow2: 123 bytes\nSHA256 (Rocky-9-GenericCloud.qcow2) = ${sha}\n`,
    '/images/SHA256SUMS': `${'0'.repeat(64)} *other.img\n${sha} *Rocky-9-GenericCloud.qcow2\n`,
    '/images/WRONG': `SHA256 (Rocky-9-GenericCloud.qcow2) = ${'f'.repeat(64)}\n`,
  };
  server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('cloud images', () => {
  it('reads GNU and BSD checksum lists', () => {
    expect(checksumFromList(`${sha}  ubuntu.img\n`, 'ubuntu.img')).toBe(sha);
    expect(checksumFromList(`SHA256 (a.qcow2) = ${sha}\n`, 'a.qcow2')).toBe(sha);
    expect(checksumFromList(`${sha}  other.img\n`, 'ubuntu.img')).toBeUndefined();
  });

  it.each(['CHECKSUM', 'SHA256SUMS'])('downloads and verifies against the %s list', async (list) => {
    const dest = join(dir, list, 'disk.qcow2');
    const got = await fetchCloudImage({ url: `${base}/images/Rocky-9-GenericCloud.qcow2`, checksum: `${base}/images/${list}` }, dest, () => undefined);
    expect(got).toBe(sha);
    expect(readFileSync(dest).equals(disk)).toBe(true);
  });

  it('accepts a literal sha256, and leaves no file when the checksum does not match', async () => {
    const ok = join(dir, 'literal', 'disk.qcow2');
    await fetchCloudImage({ url: `${base}/images/Rocky-9-GenericCloud.qcow2`, checksum: `sha256:${sha}` }, ok, () => undefined);
    expect(existsSync(ok)).toBe(true);
    const bad = join(dir, 'bad', 'disk.qcow2');
    await expect(fetchCloudImage({ url: `${base}/images/Rocky-9-GenericCloud.qcow2`, checksum: `${base}/images/WRONG` }, bad, () => undefined))
      .rejects.toThrow(/is not the expected f{64}/);
    expect(existsSync(bad)).toBe(false);
    expect(existsSync(`${bad}.part`)).toBe(false);
    await expect(fetchCloudImage({ url: `${base}/images/missing.qcow2`, checksum: `sha256:${sha}` }, bad, () => undefined)).rejects.toThrow(/answered 404/);
  });
});
