import { describe, expect, it } from 'vitest';
import { PathTable, ROOT_NODE } from './path-table';

describe('PathTable', () => {
  it('gives every path back as it was added, whatever its slashes', () => {
    const t = new PathTable();
    const paths = ['', 'a', 'a/b', 'a/b/c', '/', '/abs', 'a//b', 'a/', '..', '../x', 'é/日本/𝄞', 'a/b/c/d/e/f/g', '.wh..wh..opq', 'usr/lib/x.so'];
    const nodes = paths.map((p) => t.add(p));
    expect(nodes.map((n) => t.path(n))).toEqual(paths);
    expect(nodes[0]).toBe(ROOT_NODE);
    // the same path is the same node, and a path's parent is its prefix's node
    expect(paths.map((p) => t.add(p))).toEqual(nodes);
    expect(t.parent(t.add('a/b/c'))).toBe(t.add('a/b'));
    expect(t.depth(t.add('a/b/c'))).toBe(3);
    expect(t.depth(ROOT_NODE)).toBe(0);
  });

  it('holds each component once and finds paths without adding them', () => {
    const t = new PathTable();
    for (let i = 0; i < 5000; i++) t.add(`opt/conda/pkgs/p${i % 50}/lib/file-${i % 7}.py`);
    // 3 top components + 50 packages + 'lib' + 7 names = 61 strings; nodes: root, opt, conda, pkgs, 50 × (p, lib, 7 files)
    expect(t.nodes).toBe(1 + 3 + 50 * 9);
    expect(t.find('lib')).toBeDefined();
    const before = t.nodes;
    expect(t.lookup('opt/conda/pkgs/p3/lib/file-2.py')).toBe(t.add('opt/conda/pkgs/p3/lib/file-2.py'));
    expect(t.lookup('opt/conda/pkgs/p3/lib/file-9.py')).toBe(-1);
    expect(t.lookup('opt/conda/nothing')).toBe(-1);
    expect(t.lookup('lib')).toBe(-1); // the string is known, the path is not
    expect(t.nodes).toBe(before);
  });

  it('a path in the directory of the path added before it is found from that directory, empty components included', () => {
    const t = new PathTable();
    const paths = ['/a', '/b', 'a', 'x/y', 'x/z', 'x', 'x//y', 'x//w', 'x/y/z', 'x/y/w', 'x/y', '/x/y', 'x/y/z', '//q', '/q'];
    const nodes = paths.map((p) => t.add(p));
    expect(nodes.map((n) => t.path(n))).toEqual(paths);
    const fresh = new PathTable();
    // the same paths added in another order give the same tree: each path once, each under its own prefix
    for (const p of [...paths].reverse()) fresh.add(p);
    expect(paths.map((p) => fresh.path(fresh.lookup(p)))).toEqual(paths);
    expect(t.parent(t.add('x//w'))).toBe(t.lookup('x/'));
    // '/a' and '/b' sit under the empty first component, not under the root
    expect(t.parent(t.add('/b'))).toBe(t.parent(t.add('/a')));
    expect(t.parent(t.add('/b'))).not.toBe(ROOT_NODE);
    expect(t.parent(t.parent(t.add('/b')))).toBe(ROOT_NODE);
    expect(new Set(nodes).size).toBe(new Set(paths).size);
  });

  it('keeps every node through many rehashes', () => {
    const t = new PathTable();
    const nodes: number[] = [];
    for (let i = 0; i < 20_000; i++) nodes.push(t.add(`d${i % 97}/e${i}`));
    for (let i = 0; i < 20_000; i += 7) expect(t.lookup(`d${i % 97}/e${i}`)).toBe(nodes[i]);
    expect(t.path(nodes[12_345])).toBe('d26/e12345');
  });
});
