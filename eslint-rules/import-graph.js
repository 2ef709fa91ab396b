/**
 * The project's module graph, shared by the lint rules (`no-import-cycle`, `import-zones`) and the whole-project
 * cycle test (src/import-cycles.test.ts): which modules a file imports at run time, where a specifier points,
 * and the cycles of a graph. Plain JavaScript so that eslint.config.js loads it without a build step.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** File names the graph holds (TypeScript sources; declaration files carry no run-time imports). */
export const SOURCE = /\.(ts|tsx|mts)$/;

/** Every source file under `dir`, skipping node_modules and dot-folders. */
export function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The module specifiers a file imports at run time: `import … from`, `export … from`, bare `import '…'`. */
export function runtimeImports(text) {
  const specs = [];
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

/**
 * Where `spec`, imported by `from`, points in the project: a path (not necessarily existing) for a relative
 * specifier, a root-relative one (`/src/…`, as Vite serves it) and a bare one whose first segment names a
 * top-level folder of `root` (`src/…`, as a `baseUrl` alias would read it); undefined for a package.
 */
export function specifierPath(from, spec, root) {
  if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') return resolve(dirname(from), spec);
  if (spec.startsWith('/')) return isAbsolute(spec) && spec.startsWith(root + sep) ? spec : join(root, spec);
  if (root && /^[\w.-]+\//.test(spec) && !spec.startsWith('node:')) {
    const top = spec.split('/')[0];
    if (!top.startsWith('@') && existsSync(join(root, top)) && statSync(join(root, top)).isDirectory()) return join(root, spec);
  }
  return undefined;
}

/** The source file an import path names (a `.js` written for a `.ts`, extension and `index` added as the bundler does), if any. */
export function sourceFile(path) {
  const base = path.replace(/\.(m?js)$/, '');
  for (const cand of [base, `${base}.ts`, `${base}.tsx`, `${base}.mts`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (SOURCE.test(cand) && existsSync(cand) && statSync(cand).isFile()) return cand;
  }
  return undefined;
}

/** The source file a relative import resolves to, if any. */
export function resolveImport(from, spec) {
  return spec.startsWith('.') ? sourceFile(resolve(dirname(from), spec)) : undefined;
}

/** The files a source text imports at run time, resolved. */
export function importedFiles(file, text) {
  return [...new Set(runtimeImports(text).map((s) => resolveImport(file, s)).filter(Boolean))];
}

/** Every cycle's files (one per strongly connected component with more than one file, or a self-import). */
export function findCycles(graph) {
  const index = new Map(), low = new Map(), onStack = new Set();
  const stack = [], cycles = [];
  let next = 0;
  // iterative Tarjan: no recursion on the graph's depth
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0) { index.set(v, next); low.set(v, next); next++; stack.push(v); onStack.add(v); }
      const edges = graph.get(v) ?? [];
      if (i < edges.length) {
        frame[1]++;
        const w = edges[i];
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length) { const parent = work[work.length - 1][0]; low.set(parent, Math.min(low.get(parent), low.get(v))); }
      if (low.get(v) === index.get(v)) {
        const scc = [];
        let w;
        do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
        if (scc.length > 1 || edges.includes(v)) cycles.push(scc.reverse());
      }
    }
  }
  return cycles;
}

/**
 * The shortest chain of imports from `start` back to `target` (both included), following `depsOf`; undefined
 * when `start` does not lead back. Breadth-first, so the chain reported is the shortest one.
 */
export function pathBack(start, target, depsOf) {
  const prev = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    if (v === target) {
      const chain = [];
      for (let w = v; w !== undefined; w = prev.get(w)) chain.unshift(w);
      return chain;
    }
    for (const w of depsOf(v)) if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
  }
  return undefined;
}

/** Imports of files on disk, read once per file version (modification time) within a process. */
const onDisk = new Map();
/** The files `file` (on disk) imports at run time. */
export function diskImports(file) {
  let mtime;
  try { mtime = statSync(file).mtimeMs; } catch { return []; }
  const hit = onDisk.get(file);
  if (hit && hit.mtime === mtime) return hit.deps;
  const deps = importedFiles(file, readFileSync(file, 'utf8'));
  onDisk.set(file, { mtime, deps });
  return deps;
}
