import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The house drawn from imports: no file, and no folder at any depth, on an import cycle. */
const SRC = resolve(import.meta.dirname, '../../src');
const IMPORT = /^(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** file (relative to src/) → the files of ours it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => relative(SRC, resolve(dirname(file), `${m[1]}.ts`)));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** Nodes that reach themselves, with `group` mapping a file to its node (itself, or its folder). */
function onCycles(graph: Map<string, string[]>, group: (file: string) => string): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [group(from), group(to)];
      if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    }
  }
  return [...edges.keys()].filter((start) => {
    const seen = new Set<string>();
    const stack = [...(edges.get(start) ?? [])];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node === start) return true;
      if (seen.has(node)) continue;
      seen.add(node);
      stack.push(...(edges.get(node) ?? []));
    }
    return false;
  });
}

describe('import graph of src/', () => {
  const graph = importGraph();

  it('reads every source file and finds the imports between them', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('entrypoints/run.ts')).toContain('app/buildDeps.ts');
  });

  it('has no file on an import cycle', () => {
    expect(onCycles(graph, (f) => f)).toEqual([]);
  });

  it.each([1, 2])('has no folder (at depth %i) importing one that imports it back, directly or not', (depth) => {
    expect(onCycles(graph, (f) => f.split('/').slice(0, depth).join('/'))).toEqual([]);
  });

  it('sees a cycle when there is one', () => {
    const looped = new Map([['a/x.ts', ['b/y.ts']], ['b/y.ts', ['c/z.ts']], ['c/z.ts', ['a/w.ts']], ['a/w.ts', []]]);
    expect(onCycles(looped, (f) => f.split('/')[0]!).sort()).toEqual(['a', 'b', 'c']);
  });
});
