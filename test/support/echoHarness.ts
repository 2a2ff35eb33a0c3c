import { expect } from 'vitest';
import type { EnvironmentRecord } from '../../src/domain/environment.js';
import { createEchoProvisioner, type EchoOutcome, type EchoProvisioner } from '../../src/provisioners/echo/createEchoProvisioner.js';
import { startHarness, waitFor, type Harness } from './harness.js';

export interface EchoHarness {
  h: Harness;
  echo: EchoProvisioner;
  /** POSTs a container request for ticket generic:<ticketId> (the script's key) as alice; expects 202. */
  request(ticketId: string, extra?: Record<string, unknown>): Promise<EnvironmentRecord>;
  /** Waits until the record is in `state`. */
  untilState(id: string, state: string, ms?: number): Promise<EnvironmentRecord>;
  /** The types of the environment's events, oldest first. */
  eventTypes(id: string): Promise<string[]>;
}

/**
 * The whole service with its workers on the real Redis and BullMQ, its container provisioner the
 * echo provisioner: each create does what `script[ticket id]` says for that attempt, so the
 * workers' state machine runs in well under a second per case, without Docker.
 */
export async function startEchoHarness(script: Record<string, (attempt: number) => EchoOutcome>, env: Record<string, string> = {}): Promise<EchoHarness> {
  const echo = createEchoProvisioner({ script: (spec, attempt) => script[spec.ticket.id]!(attempt) });
  // Retries wait 50 ms instead of 2 s and a delete cancels within 50 ms instead of 1 s: the waits are not what these tests check.
  const h = await startHarness({ provisioners: { container: echo }, env: { REPRO_PROVISION_BACKOFF_MS: '50', REPRO_CANCEL_CHECK_MS: '50', ...env }, workers: true });
  return {
    h,
    echo,
    async request(ticketId, extra = {}) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/environments', headers: h.auth, payload: { ticket: { system: 'generic', id: ticketId }, image: 'debian-12', ...extra } });
      expect(res.statusCode, res.body).toBe(202);
      return res.json();
    },
    untilState: (id, state, ms = 15_000) =>
      waitFor(async () => {
        const record = await h.deps.store.get(id);
        return record?.state === state ? record : undefined;
      }, ms, `${id} to be ${state}`, 20),
    eventTypes: async (id) => (await h.deps.events.history(id)).map((e) => e.type),
  };
}
