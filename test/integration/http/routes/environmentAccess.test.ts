import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../../../src/domain/environment.js';
import { createKeyPair } from '../../../../src/provisioners/libvirt/keyPair.js';
import type { Provisioner, ProvisionResult } from '../../../../src/provisioners/port.js';
import { startHarness, waitFor, type Harness } from '../../../support/harness.js';

/**
 * A FAKE VM provisioner: booting a real VM takes minutes under TCG (vmLifecycle.test.ts does it and
 * reads the key through the access route). This one answers `create` the way the libvirt
 * provisioner does, with a real per-environment key pair made by its own key code; everything
 * after it (the provision worker, Redis, the routes) is the real service.
 */
function fakeVmProvisioner(): Provisioner & { keys: Map<string, string>; stateRoot: string } {
  const keys = new Map<string, string>();
  const stateRoot = mkdtempSync(join(tmpdir(), 'repro-fake-vm-'));
  return {
    kind: 'vm',
    keys,
    stateRoot,
    async ping() {},
    async create(spec): Promise<ProvisionResult> {
      const pair = await createKeyPair(join(stateRoot, spec.envId), `repro-${spec.envId}`);
      keys.set(spec.envId, pair.privateKey);
      return { engine: 'direct', access: { name: `repro-${spec.envId}`, host: '127.0.0.1', port: 2299, user: 'debian', privateKey: pair.privateKey, command: 'ssh -p 2299 debian@127.0.0.1' } };
    },
    async inspect() { return { running: true }; },
    async destroy() {},
    async list() { return []; },
    async remove() {},
    async exec() { return { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false }; },
    async openTerminal() { throw new Error('this fake has no terminal'); },
  };
}

describe('environment access secrets', () => {
  let h: Harness;
  const vm = fakeVmProvisioner();
  const logLines: string[] = [];
  let env: EnvironmentRecord;
  let privateKey: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  let bob: Record<string, string>;
  let desk: Record<string, string>;
  /** The key's base64 body, without the armour lines every key shares. */
  const keyBody = () => privateKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
    h = await startHarness({ provisioners: { vm }, workers: true, log: pino({ level: 'trace' }, sink) });
    bob = as(await h.deps.tokens.issue('bob', 'requester'));
    desk = as(await h.deps.tokens.issue('desk', 'support'));
  }, 60_000);
  // An environment per test: one test tears its environment down, another counts its access reads.
  let made = 0;
  beforeEach(async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: `KEY-${++made}` }, image: 'debian-12', kind: 'vm' } });
    expect(res.statusCode, res.body).toBe(202);
    env = await waitFor(async () => {
      const r = await h.deps.store.require(res.json().id);
      return r.state === 'ready' ? r : undefined;
    }, 30_000, 'the VM-shaped environment to be ready');
    privateKey = vm.keys.get(env.id)!;
    expect(privateKey).toContain('OPENSSH PRIVATE KEY');
  }, 60_000);
  // Gone before the next one: VMs count against a small per-requester quota.
  afterEach(async () => {
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    await waitFor(async () => ((await h.deps.store.get(env.id))?.state === 'destroyed' ? true : undefined), 30_000, 'destroyed');
  });
  afterAll(async () => {
    await h?.close();
    rmSync(vm.stateRoot, { recursive: true, force: true });
  });

  it('keeps the private key out of GET, listings and events, for the owner and for support', async () => {
    for (const auth of [h.auth, desk]) {
      const one = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: auth });
      expect(one.statusCode).toBe(200);
      expect(one.json().access).toEqual({ name: `repro-${env.id}`, host: '127.0.0.1', port: 2299, user: 'debian', command: 'ssh -p 2299 debian@127.0.0.1' });
      const list = await h.app.inject({ method: 'GET', url: '/v1/environments', headers: auth });
      expect(list.json().items.map((e: { id: string }) => e.id)).toContain(env.id);
      const events = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: auth });
      expect(events.json().items.length).toBeGreaterThan(1);
      for (const body of [one.body, list.body, events.body]) {
        expect(body).not.toContain('PRIVATE KEY');
        expect(body).not.toContain(keyBody().slice(0, 40));
      }
    }
  });

  it('stores the key sealed: nothing in Redis under the deployment\'s prefix holds it', async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await h.deps.redis.scan(cursor, 'MATCH', `${h.config.redisPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await h.deps.redis.type(key);
        if (type === 'hash') found.push(JSON.stringify(await h.deps.redis.hgetall(key)));
        else if (type === 'string') found.push((await h.deps.redis.get(key)) ?? '');
        else if (type === 'stream') found.push(JSON.stringify(await h.deps.redis.xrange(key, '-', '+')));
        else if (type === 'list') found.push(JSON.stringify(await h.deps.redis.lrange(key, 0, -1)));
        else if (type === 'zset') found.push(JSON.stringify(await h.deps.redis.zrange(key, 0, -1)));
        else if (type === 'set') found.push(JSON.stringify(await h.deps.redis.smembers(key)));
      }
    } while (cursor !== '0');
    const everything = found.join('\n');
    expect(everything).toContain(env.id);
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(keyBody().slice(0, 40));
    expect(await h.deps.store.sealedAccess(env.id)).toMatch(/^v1\./);
    // Generated once, readable by the service's user only.
    expect(statSync(join(h.config.dataDir, 'secrets-key')).mode & 0o777).toBe(0o600);
  });

  it('gives the key through the access route to those who may act on the environment, each read an audit event naming the reader', async () => {
    const own = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: h.auth });
    expect(own.statusCode).toBe(200);
    expect(own.headers['cache-control']).toBe('no-store');
    expect(own.json()).toEqual({ name: `repro-${env.id}`, host: '127.0.0.1', port: 2299, user: 'debian', command: 'ssh -p 2299 debian@127.0.0.1', privateKey });
    const support = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: desk });
    expect(support.json().privateKey).toBe(privateKey);
    const other = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: bob });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('PRIVATE KEY');

    const reads = (await h.deps.events.history(env.id)).filter((e) => e.type === 'access.read');
    expect(reads.map((e) => e.actor)).toEqual(['alice', 'desk']);
    expect(reads[0]!.message).toContain('alice');
    expect(JSON.stringify(reads)).not.toContain('PRIVATE KEY');
  });

  it('never writes the key to the service log', async () => {
    // A read through the access route: the one path that handles the key in clear.
    await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: h.auth });
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('');
    expect(log).toContain(env.id);
    expect(log).not.toContain('PRIVATE KEY');
    expect(log).not.toContain(keyBody().slice(0, 40));
  });

  it('drops the sealed key when the environment is torn down, and answers 409 for its access afterwards', async () => {
    await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: h.auth });
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth })).statusCode).toBe(202);
    await waitFor(async () => ((await h.deps.store.get(env.id))?.state === 'destroyed' ? true : undefined), 30_000, 'destroyed');
    expect(await h.deps.store.sealedAccess(env.id)).toBeUndefined();
    const after = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/access`, headers: h.auth });
    expect(after.statusCode).toBe(409);
    expect(after.json().error.code).toBe('invalid_state');
    const sse = await h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}/events`, headers: { ...h.auth, accept: 'text/event-stream' } });
    expect(sse.body).toContain('event: access.read');
    expect(sse.body).not.toContain('PRIVATE KEY');
  });
});
