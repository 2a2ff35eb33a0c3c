import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { CatalogImage } from '../../src/images/catalog.js';

/**
 * A catalog image like `base` whose `apt-get` (first on PATH) only sleeps for ten minutes, so a
 * package install hangs the way a stalled mirror or a huge package list would. Built by
 * committing a container of the base image: no registry, no Dockerfile. `remove` deletes it.
 */
export async function buildSlowAptImage(docker: Docker, base: CatalogImage): Promise<{ image: CatalogImage; remove(): Promise<void> }> {
  const baseTag = base.container!.tag;
  const tag = `repro-test/slow-apt:${randomBytes(4).toString('hex')}`;
  const builder = await docker.createContainer({
    Image: baseTag,
    Cmd: ['sh', '-c', 'printf "#!/bin/sh\\nexec sleep 600\\n" > /usr/local/bin/apt-get && chmod 755 /usr/local/bin/apt-get'],
  });
  try {
    await builder.start();
    const { StatusCode } = (await builder.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`building ${tag} exited with ${StatusCode}`);
    // Keep the base image's command: the builder's own would end the environment's container at once.
    const { Config } = await docker.getImage(baseTag).inspect();
    const [repo, version] = tag.split(':');
    await builder.commit({ repo, tag: version, changes: `CMD ${JSON.stringify(Config.Cmd)}` });
  } finally {
    await builder.remove({ force: true });
  }
  return {
    image: { ...base, name: `${base.name}-slowapt`, container: { ...base.container!, tag } },
    remove: async () => { await docker.getImage(tag).remove({ force: true }).catch(() => undefined); },
  };
}
