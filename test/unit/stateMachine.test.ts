import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_STATES } from '../../src/domain/environment.js';
import { assertTransition, canTransition, isLive, sourcesOf } from '../../src/domain/stateMachine.js';
import { ConflictError } from '../../src/domain/errors.js';

describe('environment state machine', () => {
  const allowed = new Set([
    'requested>provisioning', 'requested>destroying',
    'provisioning>ready', 'provisioning>failed', 'provisioning>destroying',
    'failed>provisioning', 'failed>destroying',
    'ready>destroying', 'destroying>destroyed',
  ]);

  it('allows exactly the documented transitions', () => {
    for (const from of ENVIRONMENT_STATES) {
      for (const to of ENVIRONMENT_STATES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it('refuses the rest with a conflict', () => {
    expect(() => assertTransition('destroyed', 'ready')).toThrow(ConflictError);
    expect(() => assertTransition('ready', 'provisioning')).toThrow(/cannot go from ready to provisioning/);
  });

  it('lists the sources of a target state', () => {
    expect(sourcesOf('destroying').sort()).toEqual(['failed', 'provisioning', 'ready', 'requested']);
    expect(sourcesOf('requested')).toEqual([]);
  });

  it('treats destroying and destroyed as no longer live', () => {
    expect(ENVIRONMENT_STATES.filter(isLive)).toEqual(['requested', 'provisioning', 'ready', 'failed']);
  });
});
