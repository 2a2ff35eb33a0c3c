import { readFile, stat } from 'node:fs/promises';

/**
 * The host's apt-cacher-ng log (scripts/setup-cache): a line per file, `time|I|bytes|client|path`
 * when fetched from the mirror, `O` when served.
 */
const LOG = '/var/log/apt-cacher-ng/apt-cacher.log';

export interface CacheLogLine { kind: string; client: string; path: string }

/** Where the log ends now: pass it to cacheLogFrom to read what is written after. */
export async function cacheLogOffset(): Promise<number> {
  return (await stat(LOG)).size;
}

export async function cacheLogFrom(offset: number): Promise<CacheLogLine[]> {
  const text = (await readFile(LOG)).subarray(offset).toString('utf8');
  return text.split('\n').filter(Boolean).map((line) => {
    const [, kind = '', , client = '', path = ''] = line.split('|');
    return { kind, client, path };
  });
}
