import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { EngineName } from './vmEngine.js';

export function onPath(binary: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `auto` means Pulumi when its CLI is installed (the Automation API drives it), else direct. */
export function resolveEngine(setting: 'auto' | EngineName, pulumiInstalled = onPath('pulumi')): EngineName {
  if (setting === 'auto') return pulumiInstalled ? 'pulumi' : 'direct';
  return setting;
}
