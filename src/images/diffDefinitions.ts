/** One changed setting between two definitions; arrays (packages) are compared as whole values. */
export interface DefinitionChange {
  /** Dotted path of the setting, e.g. `packages` or `container.base`. */
  path: string;
  from?: unknown;
  to?: unknown;
}

/** Field-level differences, in a stable order; an absent `from`/`to` means added/removed. */
export function diffDefinitions(before: unknown, after: unknown, path = ''): DefinitionChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffDefinitions(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path || '(root)', ...(before === undefined ? {} : { from: before }), ...(after === undefined ? {} : { to: after }) }];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
