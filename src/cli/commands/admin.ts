import { ReproError } from '../../domain/errors.js';
import type { Image } from '../../http/schemas.js';
import type { BuildRecord } from '../../images/buildRecord.js';
import type { TokenInfo } from '../../store/tokenInfo.js';
import type { ApiClient } from '../apiClient.js';
import { EXIT } from '../exitCodes.js';
import { emit, table } from '../output.js';


export async function listImages(api: ApiClient, json: boolean): Promise<number> {
  const { items } = await api.call<{ items: Image[] }>('GET', '/v1/images');
  emit(json, items, () => table(
    ['name', 'distribution', 'family', 'kinds', 'state'],
    items.map((i) => [i.name, `${i.distribution} ${i.version}`, i.family, i.kinds?.join(',') ?? '', i.state ?? '']),
  ));
  return EXIT.ok;
}

/** Admin: queues a build of an image's current definition; with --wait, polls it to the end and prints its log. */
export async function buildImage(api: ApiClient, json: boolean, name: string, wait: boolean): Promise<number> {
  let build: BuildRecord;
  try {
    build = await api.call<BuildRecord>('POST', `/v1/images/${encodeURIComponent(name)}/builds`);
  } catch (err) {
    // A server without the image-build API answers "no route".
    if (err instanceof ReproError && err.status === 404 && /no route/.test(err.message)) {
      throw new ReproError('unsupported', 'this repro server cannot build images through its API (it needs the image-build routes)', { status: 501 });
    }
    throw err;
  }
  let printed = 0;
  while (wait && (build.state === 'queued' || build.state === 'running')) {
    await new Promise((r) => setTimeout(r, 1000));
    const { build: next, log } = await api.call<{ build: BuildRecord; log: string[] }>('GET', `/v1/images/${encodeURIComponent(name)}/builds/${build.id}`);
    if (!json) for (const line of log.slice(printed)) process.stderr.write(`  ${line}\n`);
    printed = log.length;
    build = next;
  }
  emit(json, build, () => `${build.id} ${build.image}: ${build.state}${build.tag ? ` (${build.tag})` : ''}${build.error ? `: ${build.error}` : ''}`);
  return build.state === 'failed' ? EXIT.failure : EXIT.ok;
}

export async function listTokens(api: ApiClient, json: boolean): Promise<number> {
  const { items } = await api.call<{ items: TokenInfo[] }>('GET', '/v1/tokens');
  emit(json, items, () => table(['name', 'role', 'created', 'last used', 'expires'], items.map((t) => [t.name, t.role, t.createdAt, t.lastUsedAt, t.expiresAt])));
  return EXIT.ok;
}

export async function createToken(api: ApiClient, json: boolean, name: string, role: string, ttl?: string): Promise<number> {
  const created = await api.call<{ name: string; role: string; token: string; expiresAt?: string }>('POST', '/v1/tokens', { name, role, ...(ttl ? { ttl } : {}) });
  emit(json, created, () => `${created.token}\n(token ${created.name}, role ${created.role}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}; shown once: store it now)`);
  return EXIT.ok;
}

export async function revokeToken(api: ApiClient, json: boolean, name: string): Promise<number> {
  await api.call('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);
  emit(json, { name, revoked: true }, () => `token ${name} revoked`);
  return EXIT.ok;
}
