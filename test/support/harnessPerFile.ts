import { afterAll, beforeAll } from 'vitest';
import { startHarness, type Harness } from './harness.js';

// Apart from harness.ts, which the bench scripts import outside vitest.
/**
 * A harness started before this file's tests and closed after them. What it returns reads
 * through to that harness, so tests use it as the harness itself.
 */
export function harnessPerFile(opts: Parameters<typeof startHarness>[0] = {}): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await startHarness(opts);
  });
  afterAll(async () => current?.close());
  return new Proxy({} as Harness, {
    get(_target, key) {
      if (!current) throw new Error('the harness starts before the tests: use it inside one');
      return Reflect.get(current, key);
    },
  });
}
