import { ConflictError } from './errors.js';
import type { EnvironmentState } from './environment.js';

/**
 * requested → provisioning → ready → destroying → destroyed; failed is reachable from
 * provisioning, and leads back to provisioning (retry) or on to destroying (give-up).
 */
const NEXT: Record<EnvironmentState, readonly EnvironmentState[]> = {
  requested: ['provisioning', 'destroying'],
  provisioning: ['ready', 'failed', 'destroying'],
  ready: ['destroying'],
  failed: ['provisioning', 'destroying'],
  destroying: ['destroyed'],
  destroyed: [],
};

export function canTransition(from: EnvironmentState, to: EnvironmentState): boolean {
  return NEXT[from].includes(to);
}

/** States from which `to` can be reached: what an atomic transition checks against. */
export function sourcesOf(to: EnvironmentState): EnvironmentState[] {
  return (Object.keys(NEXT) as EnvironmentState[]).filter((from) => canTransition(from, to));
}

export function assertTransition(from: EnvironmentState, to: EnvironmentState): void {
  if (!canTransition(from, to)) {
    throw new ConflictError('invalid_state', `an environment cannot go from ${from} to ${to}`);
  }
}

export function isLive(state: EnvironmentState): boolean {
  return state !== 'destroying' && state !== 'destroyed';
}
