/**
 * No import cycles anywhere in the project's TypeScript (src, workers, proxy, e2e, bench): the module graph of
 * relative imports and re-exports, type-only ones left out (they vanish at run time), must be acyclic.
 * A cycle is reported as the chain of files that closes it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './test-support/fixtures';

const ROOTS = ['src', 'workers', 'proxy', 'e2e', 'bench'];
const SOURCE = /\.(ts|tsx|mts)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The module specifiers a file imports at run time: `import … from`, `export … from`, bare `import '…'`. */
export function runtimeImports(text: string): string[] {
  const specs: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*(?:from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // import type … / export type …
    const clause = m[3];
    // `import { type A, type B } from` is type-only too
    const names = /^\{([^}]*)\}$/.exec(clause.trim());
    if (names && names[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    if (m[1] === 'export' && !/\bfrom\b/.test(m[0])) continue;
    specs.push(m[4]);
  }
  return specs;
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec.replace(/\.(m?js)$/, ''));
  for (const cand of [base, `${base}.ts`, `${base}.tsx`, `${base}.mts`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (SOURCE.test(cand) && existsSync(cand) && statSync(cand).isFile()) return cand;
  }
  return undefined;
}

/** Every cycle's files (one per strongly connected component with more than one file, or a self-import). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], cycles: string[][] = [];
  let next = 0;
  // iterative Tarjan: no recursion on the graph's depth
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<[string, number]> = [[start, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0) { index.set(v, next); low.set(v, next); next++; stack.push(v); onStack.add(v); }
      const edges = graph.get(v) ?? [];
      if (i < edges.length) {
        frame[1]++;
        const w = edges[i];
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) { const parent = work[work.length - 1][0]; low.set(parent, Math.min(low.get(parent)!, low.get(v)!)); }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
        if (scc.length > 1 || edges.includes(v)) cycles.push(scc.reverse());
      }
    }
  }
  return cycles;
}

describe('import graph', () => {
  it('finds a cycle where there is one (the check can fail)', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    expect(findCycles(g).map((c) => [...c].sort())).toEqual([['a', 'b', 'c'], ['e']]);
    expect(runtimeImports("import { a } from './a';\nimport type { B } from './b';\nimport { type C } from './c';\nexport { d } from './d';\nexport const x = 1;\nimport './e';"))
      .toEqual(['./a', './d', './e']);
  });

  it('has no import cycles in src, workers, proxy, e2e and bench', () => {
    const files = ROOTS.map((r) => join(repoRoot, r)).filter(existsSync).flatMap((d) => walk(d));
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = runtimeImports(readFileSync(f, 'utf8')).map((s) => resolveImport(f, s)).filter((p): p is string => !!p);
      graph.set(f, [...new Set(deps)]);
    }
    expect(files.length).toBeGreaterThan(100);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(repoRoot, f)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
