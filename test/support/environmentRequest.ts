import { expect } from 'vitest';
import { queueNames } from '../../src/queue/names.js';
import type { Harness } from './harness.js';

/** A valid request body for a container; tests spread a change over it. */
export const environmentRequest = { ticket: { system: 'generic', id: 'T-1' }, image: 'debian-12', packages: ['curl'] };

/** POST /v1/environments as the harness's requester (alice), with extra headers. */
export function postEnvironment(h: Harness, payload: unknown, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'POST', url: '/v1/environments', headers: { ...h.auth, ...headers }, payload: payload as object });
}

/** A refused request left nothing: no record for ticket generic:BAD and no provisioning job. */
export async function expectNothingCreated(h: Harness): Promise<void> {
  const list = await h.app.inject({ method: 'GET', url: '/v1/environments?ticket=generic:BAD', headers: h.auth });
  expect(list.json().items).toEqual([]);
  const waiting = await h.deps.queues.get(queueNames.provision('container')).getJobCounts('waiting', 'delayed');
  expect(waiting).toMatchObject({ waiting: 0, delayed: 0 });
}
