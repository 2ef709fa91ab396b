import { describe, expect, it } from 'vitest';
import type { LayerFile } from './listing';
import { toLayerFile } from './listing';
import { buildTreeView, pageTreeRows } from './tree';

const entry = (name: string, type: 'file' | 'directory' | 'symlink' = 'file', linkname = ''): LayerFile => toLayerFile({
  name, nameBytes: new TextEncoder().encode(name), type, typeflag: type === 'directory' ? '5' : type === 'symlink' ? '2' : '0',
  mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkname, size: type === 'file' ? 4 : 0, devmajor: 0, devminor: 0, headerOffset: 0, dataOffset: 0,
});

describe('tree rows', () => {
  const files = [entry('b/'), entry('a.b'), entry('b/z'), entry('a/', 'directory'), entry('a/x'), entry('b/.wh.gone'), entry('../evil'), entry('a/y/', 'directory'), entry('a/y/.wh..wh..opq')];
  const view = buildTreeView(files, false);

  it('sorts a layer depth first ("/" before any other character) and marks parents', () => {
    expect(view.rows.map((r) => `${r.path}|${r.depth}|${r.hasChildren ? 'p' : ''}`)).toEqual([
      '../evil|0|', 'a|0|p', 'a/x|1|', 'a/y|1|p', 'a/y/.wh..wh..opq|2|', 'a.b|0|', 'b|0|p', 'b/.wh.gone|1|', 'b/z|1|',
    ]);
    expect(view.rows[0]).toMatchObject({ danger: 'parent-traversal', name: '../evil' });
    expect(view.rows[7]).toMatchObject({ name: 'gone', whiteout: 'file', whiteoutTarget: 'b/gone' });
  });

  it('a listing already in depth-first order gives the same rows and parents without sorting (the root left out)', () => {
    const sorted = [entry('./', 'directory'), ...view.rows.map((r) => files.find((f) => f.path === r.path)!)];
    const again = buildTreeView(sorted, true);
    expect(again.rows).toEqual(view.rows);
    expect([...again.parents]).toEqual([...view.parents]);
    expect([...again.parents]).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0]);
  });

  it('hides collapsed descendants, filters, and pages', () => {
    expect(pageTreeRows(view, { offset: 0, count: 99, collapsed: ['a'] }).rows.map((r) => r.path)).toEqual(['../evil', 'a', 'a.b', 'b', 'b/.wh.gone', 'b/z']);
    expect(pageTreeRows(view, { offset: 0, count: 99, collapsed: ['a/y', 'b'] }).total).toBe(6);
    expect(pageTreeRows(view, { offset: 0, count: 99, filter: 'GONE' }).rows.map((r) => r.path)).toEqual(['b/.wh.gone']);
    const page = pageTreeRows(view, { offset: 4, count: 3 });
    expect([page.total, page.offset, page.rows.map((r) => r.path)]).toEqual([9, 4, ['a/y/.wh..wh..opq', 'a.b', 'b']]);
    expect(pageTreeRows(view, { offset: 50, count: 3 })).toEqual({ total: 9, offset: 9, rows: [] });
  });

  it('a path too long to list shows shortened, its full path kept', () => {
    const deep = Array.from({ length: 2_000 }, () => 'd').join('/');
    const [row] = buildTreeView([entry(deep)], false).rows;
    expect(row).toMatchObject({ danger: 'path-too-long', depth: 0, path: deep });
    expect(row.name).toBe(`${deep.slice(0, 100)}…${deep.slice(-99)}`);
  });
});
