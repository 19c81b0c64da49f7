/**
 * The dependency direction of router/ (ARCHITECTURE.md), checked on the real import graph:
 *   - router/core imports nothing else of router/ (contracts and primitives only);
 *   - no cycle between router/ folders (type-only imports count: a folder cycle is a
 *     design cycle even when it erases at run time);
 *   - no runtime import cycle between modules of router/ and simulator/;
 *   - the simulator does not load undici (it builds its router without the default transport).
 * The graph comes from dependency-cruiser (maintained, understands TypeScript's type-only
 * imports and tsconfig resolution), so a new import anywhere is covered without a list here.
 */
import { resolve } from 'node:path';
import { cruise, type IModule } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

let modules: IModule[] = [];
let edges: Edge[] = [];

beforeAll(async () => {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const r = await cruise(['router', 'simulator'], {
      tsPreCompilationDeps: true,
      tsConfig: { fileName: 'tsconfig.json' },
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '\\.test\\.ts$' },
    });
    if (typeof r.output === 'string') throw new Error('dependency-cruiser returned text, expected a graph');
    modules = r.output.modules;
  } finally {
    process.chdir(cwd);
  }
  edges = modules.flatMap((m) =>
    m.dependencies.map((d) => ({
      from: m.source,
      to: d.resolved,
      // "type-only": every import of that module is `import type` (erased at run time).
      typeOnly: d.dependencyTypes.includes('type-only') || d.dependencyTypes.includes('pre-compilation-only'),
    })),
  );
}, 120_000);

/** One cycle of the directed graph (a list of nodes, first = last), or null when acyclic. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1: on the DFS stack, 2: done
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      const s = state.get(m);
      if (s === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (s === undefined) {
        const c = visit(m);
        if (c !== null) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) {
    const c = visit(n);
    if (c !== null) return c;
  }
  return null;
}

function graphOf(list: readonly Edge[], node: (path: string) => string | null): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const e of list) {
    const a = node(e.from);
    const b = node(e.to);
    if (a === null || b === null || a === b) continue;
    let s = g.get(a);
    if (s === undefined) g.set(a, (s = new Set()));
    s.add(b);
  }
  return g;
}

/** router/<folder> for a module of router/ (router/index.ts is its own node), else null. */
function routerFolder(path: string): string | null {
  if (!path.startsWith('router/')) return null;
  const parts = path.split('/');
  return parts.length > 2 ? `router/${parts[1]}` : path;
}

describe('architecture: import graph', () => {
  it('finds cycles (self-check of the checker)', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', new Set(['b'])]]))).toBeNull();
  });

  it('sees the router (sanity: the graph is not empty)', () => {
    expect(modules.some((m) => m.source === 'router/request/router.ts')).toBe(true);
    expect(edges.length).toBeGreaterThan(300);
  });

  it('router/core imports nothing else of router/', () => {
    const out = edges.filter((e) => e.from.startsWith('router/core/') && e.to.startsWith('router/') && !e.to.startsWith('router/core/'));
    expect(out.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('has no cycle between router/ folders (type-only imports included)', () => {
    expect(findCycle(graphOf(edges, routerFolder))).toBeNull();
  });

  it('has no runtime import cycle between modules of router/ and simulator/', () => {
    const mine = (p: string): string | null => (p.startsWith('router/') || p.startsWith('simulator/') ? p : null);
    expect(findCycle(graphOf(edges.filter((e) => !e.typeOnly), mine))).toBeNull();
  });

  it('the simulator does not load undici', () => {
    const g = graphOf(edges.filter((e) => !e.typeOnly), (p) => p);
    const seen = new Set<string>(['simulator/run.ts']);
    const todo = ['simulator/run.ts'];
    while (todo.length > 0) for (const m of g.get(todo.pop()!) ?? []) if (!seen.has(m)) (seen.add(m), todo.push(m));
    expect(seen.size).toBeGreaterThan(20);
    expect([...seen].filter((m) => m.includes('node_modules/undici') || m === 'router/transport/http.ts')).toEqual([]);
  });
});
