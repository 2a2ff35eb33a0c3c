import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { queueNames } from '../../src/queue/names.js';
import { startHarness, type Harness } from '../support/harness.js';

/** The admin image API through app.inject against the real Redis (no worker: builds stay queued). */
describe('images API', () => {
  let h: Harness;
  let admin: { authorization: string };
  beforeAll(async () => {
    h = await startHarness();
    admin = { authorization: `Bearer ${h.adminToken}` };
  });
  afterAll(async () => {
    await h.deps.queues.get(queueNames.imageBuild).obliterate({ force: true });
    await h?.close();
  });

  const get = (url: string, headers = h.auth) => h.app.inject({ method: 'GET', url, headers });
  const put = (name: string, body: unknown, headers = admin) => h.app.inject({ method: 'PUT', url: `/v1/images/${name}`, headers, payload: body as object });

  it('lists the eight images with family, package manager, kinds, revision and state', async () => {
    const res = await get('/v1/images');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.map((i) => i.name)).toEqual(['centos-7', 'centos-stream-9', 'debian-11', 'debian-12', 'rocky-9', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04']);
    expect(items.find((i) => i.name === 'centos-7')).toMatchObject({ family: 'rhel', packageManager: 'yum', kinds: ['container', 'vm'], revision: 1, source: 'file', state: 'not-built' });
    expect(items.find((i) => i.name === 'debian-12')).toMatchObject({ family: 'debian', packageManager: 'apt', kinds: ['container', 'vm'], version: '12' });
    expect(res.json().broken).toEqual([]);
  });

  it('refuses changes and builds to a requester (403) and to no token (401)', async () => {
    const doc = (await get('/v1/images/debian-12')).json().definition;
    expect((await put('debian-12', doc, h.auth)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'PUT', url: '/v1/images/debian-12', payload: doc })).statusCode).toBe(401);
    const build = await h.app.inject({ method: 'POST', url: '/v1/images/debian-12/builds', headers: h.auth });
    expect(build.statusCode).toBe(403);
    expect(build.json().error.code).toBe('forbidden');
    expect((await get('/v1/images/debian-12')).json()).toMatchObject({ revision: 1, history: [], builds: [] });
  });

  it('makes a new revision from an admin PUT, with who, when and the diff; Redis wins over the file and exports as YAML', async () => {
    const before = (await get('/v1/images/debian-12')).json();
    const res = await put('debian-12', { ...before.definition, packages: ['htop', 'curl=7.88.1-10+deb12u5'], description: 'Debian 12 with htop' });
    expect(res.statusCode).toBe(200);
    const after = res.json();
    expect(after).toMatchObject({ revision: 2, source: 'api', packages: ['htop', 'curl=7.88.1-10+deb12u5'], description: 'Debian 12 with htop' });
    expect(after.history).toHaveLength(1);
    expect(after.history[0]).toMatchObject({
      revision: 2, by: 'admin',
      diff: [
        { path: 'description', from: before.definition.description, to: 'Debian 12 with htop' },
        { path: 'packages', to: ['htop', 'curl=7.88.1-10+deb12u5'] },
      ],
    });
    expect(Date.parse(after.history[0].at)).toBeGreaterThan(Date.now() - 60_000);
    // The same document again changes nothing.
    expect((await put('debian-12', after.definition)).json()).toMatchObject({ revision: 2, history: [expect.anything()] });
    // Every reader sees it; the YAML export is a valid image.yaml of the new revision.
    expect((await get('/v1/images')).json().items.find((i: { name: string }) => i.name === 'debian-12')).toMatchObject({ revision: 2, source: 'api' });
    const yaml = await get('/v1/images/debian-12?format=yaml');
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(yaml.body)).toEqual(after.definition);
    // New environments of the image follow its changed definition's family rules.
    const env = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'IMG-1' }, image: 'debian-12', packages: ['NetworkManager'] } });
    expect(env.json().error).toMatchObject({ field: 'packages[0]' });
  });

  it.each([
    ['a package against the family rules', { packages: ['Bad Name'] }, 'packages[0]', /not a valid debian package/],
    ['a package manager of another family', { packageManager: 'dnf' }, 'packageManager', /does not fit the debian family/],
    ['an unknown setting', { colour: 'blue' }, 'colour', /not a known setting/],
    ['another name', { name: 'debian-13' }, 'name', /must equal its folder name/],
    ['a Dockerfile the folder lacks', { container: { dockerfile: 'Nope', tag: 'repro/debian-12:latest', base: 'debian:12' } }, 'container.dockerfile', /does not exist/],
    ['a base the Dockerfile does not start from', { container: { dockerfile: 'Dockerfile', tag: 'repro/debian-12:latest', base: 'debian:13' } }, 'container.dockerfile', /is not the image's base debian:13/],
  ])('rejects %s with a 400 naming the field, keeping the revision', async (_what, change, field, message) => {
    const before = (await get('/v1/images/debian-12')).json();
    const res = await put('debian-12', { ...before.definition, ...change });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', field, message: expect.stringMatching(message) });
    expect((await get('/v1/images/debian-12')).json().revision).toBe(before.revision);
  });

  it('refuses definitions nested deeper than a definition can be with a 400, however deep', async () => {
    const before = (await get('/v1/images/debian-12')).json();
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = [deep];
    const res = await put('debian-12', { ...before.definition, vm: { ...before.definition.vm, cloudInit: { bootcmd: deep } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', field: expect.stringMatching(/^vm\.cloudInit\.bootcmd\.0\.0/), message: expect.stringMatching(/nests deeper than 12 levels/) });
    const raw = await h.app.inject({
      method: 'PUT', url: '/v1/images/debian-12', headers: { ...admin, 'content-type': 'application/json' },
      payload: `{"name":"debian-12","x":${'['.repeat(20000)}1${']'.repeat(20000)}}`,
    });
    expect(raw.statusCode).toBe(400);
    expect((await get('/v1/images/debian-12')).json().revision).toBe(before.revision);
  });

  it('answers 404 for unknown images and builds, and 409 to a PUT that lost a race', async () => {
    expect((await put('windows-95', { name: 'windows-95' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: '/v1/images/windows-95/builds', headers: admin })).statusCode).toBe(404);
    expect((await get('/v1/images/debian-12/builds/build-0000')).statusCode).toBe(404);
    const doc = (await get('/v1/images/debian-11')).json().definition;
    await h.deps.definitions.save('debian-11', 1, { ...doc, packages: ['less'] }, 'other-admin', [{ path: 'packages', to: ['less'] }]);
    const stale = h.deps.definitions.save('debian-11', 1, { ...doc, packages: ['vim'] }, 'admin', [{ path: 'packages', to: ['vim'] }]);
    await expect(stale).rejects.toMatchObject({ status: 409, code: 'revision_changed' });
  });

  it('refuses from naming no environment, one without provenance, or beside image or packages, creating nothing', async () => {
    const post = (payload: object) => h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: 'FROM' }, ...payload } });
    expect((await post({ from: 'env-000000000000' })).json().error).toMatchObject({ field: 'from', message: expect.stringMatching(/does not exist/) });
    const plain = (await post({ image: 'debian-12' })).json();
    expect((await post({ from: plain.id })).json().error).toMatchObject({ field: 'from', message: expect.stringMatching(/no recorded build/) });
    // Another requester cannot read alice's environment through from: it answers like a missing one.
    const bob = { authorization: `Bearer ${await h.deps.tokens.issue('bob', 'requester')}` };
    const asBob = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: bob, payload: { ticket: { system: 'generic', id: 'FROM' }, from: plain.id } });
    expect(asBob.json().error).toMatchObject({ field: 'from', message: `from: environment ${plain.id} does not exist` });
    expect((await post({ from: plain.id, packages: ['vim'] })).json().error).toMatchObject({ field: 'packages', message: expect.stringMatching(/leave it out with from/) });
    expect((await post({ from: 'not an id' })).json().error).toMatchObject({ field: 'from' });
    expect((await post({})).json().error).toMatchObject({ field: 'image', message: expect.stringMatching(/required/) });
    const list = (await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:FROM', headers: h.auth })).json();
    expect(list.items.map((e: { id: string }) => e.id)).toEqual([plain.id]);
    await h.deps.queues.get(queueNames.provision('container')).obliterate({ force: true });
  });

  it('queues a build on its own queue and shows it as building', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/images/ubuntu-22.04/builds', headers: admin });
    expect(res.statusCode).toBe(202);
    const build = res.json();
    expect(build).toMatchObject({ image: 'ubuntu-22.04', state: 'queued', requestedBy: 'admin', revision: 1 });
    expect(res.headers['location']).toBe(`/v1/images/ubuntu-22.04/builds/${build.id}`);
    const job = await h.deps.queues.get(queueNames.imageBuild).getJob(build.id);
    expect(job?.data).toEqual({ buildId: build.id });
    expect((await get(`/v1/images/ubuntu-22.04/builds/${build.id}`)).json()).toEqual({ build, log: [] });
    expect((await get('/v1/images/ubuntu-22.04')).json()).toMatchObject({ state: 'building', lastBuild: { id: build.id } });
  });
});

describe('broken definitions at start', () => {
  it('serve the valid images and list the broken ones, with file and field, in /readyz and GET /v1/images', async () => {
    const { cp, mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'repro-broken-'));
    const images = join(import.meta.dirname, '../../images');
    await cp(join(images, 'debian-12'), join(dir, 'debian-12'), { recursive: true });
    await cp(join(images, '_families'), join(dir, '_families'), { recursive: true });
    await cp(join(images, 'rocky-9'), join(dir, 'rocky-9'), { recursive: true });
    await writeFile(join(dir, 'rocky-9', 'image.yaml'), (await import('node:fs')).readFileSync(join(images, 'rocky-9', 'image.yaml'), 'utf8').replace('packageManager: dnf', 'packageManager: apt'));
    const h = await startHarness({ imagesDir: dir });
    try {
      const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json().brokenImages).toEqual([
        { file: join(dir, 'rocky-9', 'image.yaml'), field: 'packageManager', message: 'packageManager: apt does not fit the rhel family (apt for debian/ubuntu, dnf or yum for rhel)' },
      ]);
      const list = (await h.app.inject({ method: 'GET', url: '/v1/images', headers: h.auth })).json();
      expect(list.items.map((i: { name: string }) => i.name)).toEqual(['debian-12']);
      expect(list.broken).toEqual(ready.json().brokenImages);
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
