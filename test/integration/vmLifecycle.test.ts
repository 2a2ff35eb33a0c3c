import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createLibvirtProvisioner, type LibvirtProvisioner } from '../../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { inspectDomain } from '../../src/provisioners/libvirt/domains.js';
import { vmNames } from '../../src/provisioners/libvirt/names.js';
import { createVirsh } from '../../src/provisioners/libvirt/virsh.js';
import { listVolumes } from '../../src/provisioners/libvirt/volumes.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { connectTerminal } from '../support/terminalClient.js';

const URI = process.env['REPRO_LIBVIRT_URI'] ?? 'qemu:///system';

/**
 * kind "vm" through the API with the real workers, Redis, libvirtd and qemu (TCG here), direct
 * engine: ready (cloud-init finished) → exec over SSH → delete → domain, overlay and seed gone.
 * Uses the data dir where scripts/setup-libvirt built the Debian 12 VM image.
 */
describe('VM environment lifecycle through the API', () => {
  let h: Harness;
  let vm: LibvirtProvisioner;
  const virsh = createVirsh(URI);

  beforeAll(async () => {
    const dataDir = resolve(new URL('../..', import.meta.url).pathname, 'data');
    vm = createLibvirtProvisioner({ libvirt: { uri: URI, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' }, dataDir, readyTimeoutMs: 12 * 60_000 });
    h = await startHarness({ provisioners: { vm }, env: { REPRO_DATA_DIR: dataDir, REPRO_KINDS: 'vm' }, workers: true });
  });
  afterAll(async () => h?.close());

  const auth = () => h.auth;

  it('refuses VM requests above the limits before anything is created', async () => {
    const domains = async () => (await virsh.run(['list', '--all', '--name'])).split('\n').filter((n) => n.startsWith('repro-'));
    const before = await domains();
    for (const [resources, field] of [[{ cpus: 64 }, 'resources.cpus'], [{ memoryMb: 999999 }, 'resources.memoryMb'], [{ diskGb: 5000 }, 'resources.diskGb']] as const) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: auth(), payload: { ticket: { system: 'generic', id: 'VM-BAD' }, image: 'debian-12', kind: 'vm', resources } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.field).toBe(field);
    }
    const list = await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:VM-BAD', headers: auth() });
    expect(list.json().items).toEqual([]);
    expect(await domains()).toEqual(before);
    expect(await h.deps.queues.get('provision-vm').getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  });

  it('boots a Debian VM, runs a command in it over SSH, and removes every trace on delete', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: auth(), payload: { ticket: { system: 'generic', id: 'VM-1' }, image: 'debian-12', kind: 'vm' } });
    expect(res.statusCode).toBe(202);
    const env = res.json() as EnvironmentRecord;
    const started = Date.now();
    const ready = await waitFor(async () => {
      const r = (await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: auth() })).json() as EnvironmentRecord;
      if (r.state === 'failed' || r.state === 'destroying') throw new Error(`VM did not come up: ${r.error?.message}`);
      return r.state === 'ready' ? r : undefined;
    }, 14 * 60_000, 'the VM to be ready');
    console.log(`VM ${env.id} request→ready through the API: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(ready.engine).toBe('direct');
    expect(ready.access).toMatchObject({ host: '127.0.0.1', user: 'debian' });
    // The key is no longer part of the record: it is read through the audited access route.
    const access = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: auth() });
    expect(access.json().privateKey).toContain('PRIVATE KEY');
    expect(JSON.stringify(ready)).not.toContain('PRIVATE KEY');
    const events = (await h.deps.events.history(env.id)).map((e) => e.type);
    expect(events.filter((t) => t === 'progress').length).toBeGreaterThan(0);

    const exec = await h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/exec`, headers: auth(), payload: { command: ['cat', '/etc/os-release'] } });
    expect(exec.statusCode).toBe(200);
    expect(exec.json().exitCode).toBe(0);
    expect(exec.json().stdout).toContain('VERSION_CODENAME=bookworm');

    // The terminal: an SSH shell with a PTY, resized by the window-change request.
    const base = (await h.app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
    const t = connectTerminal(`${base}/v1/environments/${env.id}/terminal?cols=90&rows=25`, h.requesterToken);
    await t.opened;
    t.type('cat /etc/os-release; tty\r');
    await t.waitFor(/VERSION_CODENAME=bookworm/, 30_000);
    await t.waitFor(/\/dev\/pts\/\d+/);
    await t.untilSize(90, 25, 20_000);
    t.resize(140, 45);
    await t.untilSize(140, 45, 20_000);
    t.type('exit\r');
    expect((await t.closed).code).toBe(1000);
    const [session] = await h.deps.transcripts.list(env.id);
    expect(session).toMatchObject({ actor: 'alice', cols: 90, rows: 25 });

    const domain = vmNames(env.id);
    expect(await inspectDomain(virsh, domain.domain)).toMatchObject({ running: true, metadata: { envId: env.id, ticket: 'generic:VM-1', instance: h.workers!.deployment } });

    expect((await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: auth() })).statusCode).toBe(202);
    await waitFor(async () => ((await h.deps.store.get(env.id))?.state === 'destroyed' ? true : undefined), 120_000, 'destroyed');
    expect(await inspectDomain(virsh, domain.domain)).toBeUndefined();
    const volumes = await listVolumes(virsh, 'repro');
    expect(volumes).not.toContain(domain.overlay);
    expect(volumes).not.toContain(domain.seed);
  }, 20 * 60_000);
});
