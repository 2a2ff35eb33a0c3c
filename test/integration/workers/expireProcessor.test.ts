import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../../src/domain/environment.js';
import { queueNames } from '../../../src/queue/names.js';
import { startEchoHarness, type EchoHarness } from '../../support/echoHarness.js';

/**
 * The TTL on the real Redis and BullMQ with the echo provisioner: the expire job's delay is real
 * time and a TTL is whole seconds, so these cases take one to three seconds.
 */
describe('expire worker (echo provisioner)', () => {
  let e: EchoHarness;
  beforeAll(async () => {
    e = await startEchoHarness({ READY: () => ({ kind: 'ready' }) });
  });
  afterAll(async () => {
    await e?.h.close();
  });

  it('tears down when the TTL runs out', async () => {
    const env = await e.request('READY', { ttl: '1s' });
    await e.untilState(env.id, 'ready');
    const gone = await e.untilState(env.id, 'destroyed');
    const events = (await e.h.deps.events.history(env.id)).map((ev) => `${ev.type}:${ev.actor}`);
    expect(events).toContain('destroy.requested:ttl');
    expect(gone.destroyedAt).toBeDefined();
    expect(await e.echo.inspect(env.id)).toBeUndefined();
  });

  it('moves the expiry on extend, so the old TTL no longer applies', async () => {
    const env = await e.request('READY', { ttl: '1s' });
    await e.untilState(env.id, 'ready');
    const res = await e.h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/extend`, headers: e.h.auth, payload: { ttl: '1h' } });
    expect(res.statusCode).toBe(200);
    const extended = res.json() as EnvironmentRecord;
    expect(Date.parse(extended.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const expire = e.h.deps.queues.get(queueNames.expire);
    expect(await expire.getJob(`expire-${env.id}-${Date.parse(env.expiresAt)}`)).toBeUndefined();
    expect(await (await expire.getJob(`expire-${env.id}-${Date.parse(extended.expiresAt)}`))?.getState()).toBe('delayed');
    // Well past the old expiry, where an expire job still scheduled for it would have run.
    await new Promise((r) => setTimeout(r, Date.parse(env.expiresAt) + 1500 - Date.now()));
    expect((await e.h.app.inject({ method: 'GET', url: `/v1/environments/${env.id}`, headers: e.h.auth })).json().state).toBe('ready');
    const tooLong = await e.h.app.inject({ method: 'POST', url: `/v1/environments/${env.id}/extend`, headers: e.h.auth, payload: { ttl: '30d' } });
    expect(tooLong.statusCode).toBe(400);
    await e.h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: e.h.auth });
    await e.untilState(env.id, 'destroyed');
  });
});
