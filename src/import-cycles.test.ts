/**
 * No import cycles anywhere in the project's TypeScript (src, workers, proxy, e2e, bench, eslint-rules): the module graph of
 * relative imports and re-exports, type-only ones left out (they vanish at run time), must be acyclic.
 * A cycle is reported as the chain of files that closes it. The graph is eslint-rules/import-graph.js, which the
 * lint rule `local/no-import-cycle` follows file by file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importedFiles, runtimeImports, walk } from '../eslint-rules/import-graph.js';
import { repoRoot } from './test-support/fixtures';

const ROOTS = ['src', 'workers', 'proxy', 'e2e', 'bench', 'eslint-rules'];

describe('import graph', () => {
  it('finds a cycle where there is one (the check can fail)', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    expect(findCycles(g).map((c) => [...c].sort())).toEqual([['a', 'b', 'c'], ['e']]);
    expect(runtimeImports("import { a } from './a';\nimport type { B } from './b';\nimport { type C } from './c';\nexport { d } from './d';\nexport const x = 1;\nimport './e';"))
      .toEqual(['./a', './d', './e']);
  });

  it('has no import cycles in src, workers, proxy, e2e, bench and eslint-rules', () => {
    const files = ROOTS.map((r) => join(repoRoot, r)).filter(existsSync).flatMap((d) => walk(d));
    const graph = new Map<string, string[]>();
    for (const f of files) {
      graph.set(f, importedFiles(f, readFileSync(f, 'utf8')));
    }
    expect(files.length).toBeGreaterThan(100);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(repoRoot, f)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
