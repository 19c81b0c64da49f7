import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layout of scenarios/: scenario files (data) at the top, harness code in subfolders
 * by job, and no import cycle between those subfolders, type-only imports included (a
 * cycle means two jobs can no longer be read, tested or moved apart). Imports are read
 * with TypeScript's own pre-processor (static, dynamic and `import type`).
 */
const ROOT = resolve(import.meta.dirname, '..', 'scenarios');
/** The subfolders top to bottom, as README's Layout lists them: a folder imports only from folders below it. */
const ORDER = ['cli', 'fidelity', 'seeds', 'tune', 'modes', 'load', 'workers', 'stats', 'setup', 'gateway', 'progress', 'spec'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mts|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Folder -> the folders of scenarios/ it imports from (relative imports only). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(ROOT)) {
    const from = relative(ROOT, dirname(file));
    const deps = graph.get(from) ?? new Set<string>();
    graph.set(from, deps);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = relative(ROOT, resolve(dirname(file), fileName));
      if (target.startsWith('..')) continue;
      const to = dirname(target);
      if (to !== from) deps.add(to);
    }
  }
  return graph;
}

/** Every cycle's folders, found by depth-first search (empty when the graph is a DAG). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

describe('scenarios/ layout', () => {
  it('holds only scenario files (and docs) at the top; code lives in subfolders', () => {
    const top = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(top.filter((f) => !/\.(ya?ml|md)$/.test(f))).toEqual([]);
    expect(top.filter((f) => f.endsWith('.yaml')).length).toBeGreaterThanOrEqual(8);
  });

  it('has no import cycle between its subfolders (type imports included)', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThanOrEqual(10);
    expect(graph.get('tune')?.has('modes')).toBe(true); // the graph is read at all
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('every subfolder is in the documented order, and imports only from folders below it', () => {
    const graph = folderGraph();
    expect([...graph.keys()].sort()).toEqual([...ORDER].sort());
    const upward = [...graph].flatMap(([from, deps]) => [...deps].filter((to) => ORDER.indexOf(to) <= ORDER.indexOf(from)).map((to) => `${from} -> ${to}`));
    expect(upward).toEqual([]);
  });

  it('the cycle finder finds a cycle when there is one', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });
});
