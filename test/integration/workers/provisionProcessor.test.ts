import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createEchoProvisioner, type EchoOutcome, type EchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import { startHarness, waitFor, type Harness } from '../support/harness.js';

/** What the echo provisioner does, by the ticket id each test asks with. */
const SCRIPT: Record<string, (attempt: number) => EchoOutcome> = {
  READY: () => ({ kind: 'ready' }),
  FINAL: () => ({ kind: 'fail', retryable: false, message: 'scripted final failure' }),
  RETRY: (attempt) => (attempt === 1 ? { kind: 'fail', retryable: true, message: 'scripted mirror trouble' } : { kind: 'ready' }),
  HANG: () => ({ kind: 'hang' }),
};

/**
 * The provision and destroy workers' state machine on the real Redis and BullMQ with the echo
 * provisioner: no Docker, so each case takes about a second (the retry waits out its backoff).
 */
describe('provision worker state machine (echo provisioner)', () => {
  let h: Harness;
  let echo: EchoProvisioner;

  beforeAll(async () => {
    echo = createEchoProvisioner({ script: (spec, attempt) => SCRIPT[spec.ticket.id]!(attempt) });
    h = await startHarness({ provisioners: { container: echo }, workers: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  const request = async (ticketId: string): Promise<EnvironmentRecord> => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: ticketId }, image: 'debian-12' } });
    expect(res.statusCode, res.body).toBe(202);
    return res.json();
  };
  const untilState = (id: string, state: string, ms = 15_000) =>
    waitFor(async () => {
      const env = await h.deps.store.get(id);
      return env?.state === state ? env : undefined;
    }, ms, `${id} to be ${state}`);
  const types = async (id: string) => (await h.deps.events.history(id)).map((e) => e.type);

  it('requested → provisioning → ready, then destroyed on delete', async () => {
    const env = await request('READY');
    const ready = await untilState(env.id, 'ready');
    expect(ready.access).toEqual({ name: `echo-${env.id}`, command: `echo ${env.id}` });
    expect(ready.engine).toBe('echo');
    await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    await untilState(env.id, 'destroyed');
    expect(await echo.inspect(env.id)).toBeUndefined();
    expect(await types(env.id)).toEqual(['requested', 'provisioning', 'progress', 'ready', 'destroy.requested', 'destroyed']);
  });

  it('a final failure gives up at once and tears down', async () => {
    const env = await request('FINAL');
    const gone = await untilState(env.id, 'destroyed');
    expect(gone.error).toMatchObject({ message: 'scripted final failure' });
    expect(echo.calls.filter((id) => id === env.id)).toHaveLength(1);
    expect(await types(env.id)).toEqual(expect.arrayContaining(['failed', 'gave-up', 'destroyed']));
    expect(await echo.inspect(env.id)).toBeUndefined();
  });

  it('a retryable failure is tried again and becomes ready', async () => {
    const env = await request('RETRY');
    await untilState(env.id, 'ready');
    expect(echo.calls.filter((id) => id === env.id)).toHaveLength(2);
    const history = await types(env.id);
    expect(history.filter((t) => t === 'provisioning')).toHaveLength(2);
    expect(history).toContain('failed');
  });

  it('a delete during a step that never ends cancels it and destroys the environment', async () => {
    const env = await request('HANG');
    await untilState(env.id, 'provisioning');
    const del = await h.app.inject({ method: 'DELETE', url: `/v1/environments/${env.id}`, headers: h.auth });
    expect(del.json()).toMatchObject({ state: 'provisioning', destroyRequested: true });
    const gone = await untilState(env.id, 'destroyed');
    expect(gone.readyAt).toBeUndefined();
    const history = await types(env.id);
    expect(history).toContain('cancelled');
    expect(history).not.toContain('ready');
    expect(history).not.toContain('failed');
    expect(await echo.inspect(env.id)).toBeUndefined();
  });
});
