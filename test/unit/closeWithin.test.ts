import { describe, expect, it } from 'vitest';
import { closeWithin } from '../../src/entrypoints/closeWithin.js';

describe('closeWithin', () => {
  it('closes every step in order and reports nothing pending when they finish in time', async () => {
    const order: string[] = [];
    const step = (name: string) => ({ name, close: async () => { order.push(name); } });
    expect(await closeWithin([step('http server'), step('workers'), step('connections')], 1000)).toEqual({ pending: [], failed: [] });
    expect(order).toEqual(['http server', 'workers', 'connections']);
  });

  it('gives up at the deadline and names the step under way and those not started', async () => {
    const started = Date.now();
    const outcome = await closeWithin([
      { name: 'http server', close: async () => undefined },
      { name: 'workers', close: () => new Promise(() => undefined) },
      { name: 'connections', close: async () => undefined },
    ], 200);
    const took = Date.now() - started;
    expect(outcome).toEqual({ pending: ['workers', 'connections'], failed: [] });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1000);
  });

  it('records a step that throws and still closes the next ones', async () => {
    const closed: string[] = [];
    const outcome = await closeWithin([
      { name: 'http server', close: async () => { throw new Error('boom'); } },
      { name: 'connections', close: async () => { closed.push('connections'); } },
    ], 1000);
    expect(outcome.pending).toEqual([]);
    expect(outcome.failed).toEqual([{ name: 'http server', error: new Error('boom') }]);
    expect(closed).toEqual(['connections']);
  });
});
