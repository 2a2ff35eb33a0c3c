import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoOutcome } from '../../../src/provisioners/echo/createEchoProvisioner.js';
import { startEchoHarness, type EchoHarness } from '../../support/echoHarness.js';

/** What the echo provisioner does, by the ticket id each test asks with. */
const SCRIPT: Record<string, (attempt: number) => EchoOutcome> = {
  READY: () => ({ kind: 'ready' }),
  FINAL: () => ({ kind: 'fail', retryable: false, message: 'scripted final failure' }),
  RETRY: (attempt) => (attempt === 1 ? { kind: 'fail', retryable: true, message: 'scripted mirror trouble' } : { kind: 'ready' }),
  HANG: () => ({ kind: 'hang' }),
};

/** The provision and destroy workers' state machine on the real Redis and BullMQ with the echo provisioner. */
describe('provision worker state machine (echo provisioner)', () => {
  let e: EchoHarness;
  beforeAll(async () => {
    e = await startEchoHarness(SCRIPT);
  });
  afterAll(async () => {
    await e?.h.close();
  });

  it('requested → provisioning → ready, then destroyed on delete', async () => {
    const env = await e.request('READY');
    const ready = await e.untilState(env.id, 'ready');
    expect(ready.access).toEqual({ name: `echo-${env.id}`, command: `echo ${env.id}` });
    expect(ready.engine).toBe('echo');
    await e.h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: e.h.auth });
    await e.untilState(env.id, 'destroyed');
    expect(await e.echo.inspect(env.id)).toBeUndefined();
    expect(await e.eventTypes(env.id)).toEqual(['requested', 'provisioning', 'progress', 'ready', 'destroy.requested', 'destroyed']);
  });

  it('a final failure gives up at once and tears down', async () => {
    const env = await e.request('FINAL');
    const gone = await e.untilState(env.id, 'destroyed');
    expect(gone.error).toMatchObject({ message: 'scripted final failure' });
    expect(e.echo.calls.filter((id) => id === env.id)).toHaveLength(1);
    expect(await e.eventTypes(env.id)).toEqual(expect.arrayContaining(['failed', 'gave-up', 'destroyed']));
    expect(await e.echo.inspect(env.id)).toBeUndefined();
  });

  it('a retryable failure is tried again and becomes ready', async () => {
    const env = await e.request('RETRY');
    await e.untilState(env.id, 'ready');
    expect(e.echo.calls.filter((id) => id === env.id)).toHaveLength(2);
    const history = await e.eventTypes(env.id);
    expect(history.filter((t) => t === 'provisioning')).toHaveLength(2);
    expect(history).toContain('failed');
  });

  it('a delete during a step that never ends cancels it and destroys the environment', async () => {
    const env = await e.request('HANG');
    await e.untilState(env.id, 'provisioning');
    const del = await e.h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: e.h.auth });
    expect(del.statusCode).toBe(202);
    expect(del.json()).toMatchObject({ state: 'provisioning', destroyRequested: true });
    const gone = await e.untilState(env.id, 'destroyed');
    expect(gone.readyAt).toBeUndefined();
    const history = await e.eventTypes(env.id);
    expect(history.indexOf('destroy.requested')).toBeLessThan(history.indexOf('destroyed'));
    expect(history).toContain('cancelled');
    expect(history).not.toContain('ready');
    expect(history).not.toContain('failed');
    expect(await e.echo.inspect(env.id)).toBeUndefined();
  });
});
