import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The bench scripts run under plain tsx, not vitest: what they import from test/support must not
 * pull vitest in (it throws outside its runner). Loading the shared kit in a bare Node proves it.
 */
describe('bench kit', () => {
  it('loads outside vitest', async () => {
    const kit = fileURLToPath(new URL('../../scripts/benchKit.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import', 'tsx', '--input-type=module', '-e', `const kit = await import(${JSON.stringify(kit)}); console.log(typeof kit.startBenchService);`,
    ], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(stdout.trim()).toBe('function');
  }, 60_000);
});
