import { describe, expect, it } from 'vitest';
import type { LayerFile, LayerListing } from './listing';
import { mergeLayers, compareBytes } from './merge';
import { resolveLinkTarget } from './listing';

function f(path: string, extra: Partial<LayerFile> = {}): LayerFile {
  const base = path.split('/').pop()!;
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  const wh: Partial<LayerFile> = base === '.wh..wh..opq' ? { whiteout: 'opaque', whiteoutTarget: dir }
    : base.startsWith('.wh.') ? { whiteout: 'file', whiteoutTarget: (dir ? dir + '/' : '') + base.slice(4) } : {};
  return { path, rawName: path, type: 'file', size: 10, mode: 0o644, uid: 0, gid: 0, mtime: 0, ...wh, ...extra };
}
const L = (...files: LayerFile[]): LayerListing => ({ files, warnings: [], fileBytes: files.reduce((a, x) => a + (x.whiteout ? 0 : x.size), 0) });
const dir = (p: string) => f(p, { type: 'directory', size: 0, mode: 0o755 });
const paths = (v: ReturnType<typeof mergeLayers>) => v.files.map((x) => `${x.path}@${x.layer}`);

describe('mergeLayers', () => {
  it('removes whited-out files and counts them as wasted in the layer that added them', () => {
    const v = mergeLayers([L(dir('a'), f('a/x', { size: 100 }), f('a/y')), L(f('a/.wh.x'))]);
    expect(paths(v)).toEqual(['a@0', 'a/y@0']);
    expect(v.wastedBytesByLayer).toEqual([100, 0]);
    expect(v.wastedBytes).toBe(100);
    expect(v.totalBytes).toBe(110);
    expect(v.efficiency).toBeCloseTo(10 / 110);
  });

  it('an opaque directory hides lower children but keeps the same layer\'s entries, whatever their tar order', () => {
    const v = mergeLayers([
      L(dir('d'), f('d/old1'), f('d/old2'), f('keep')),
      L(dir('d'), f('d/new'), f('d/.wh..wh..opq')),
    ]);
    expect(paths(v)).toEqual(['d@1', 'd/new@1', 'keep@0']);
    expect(v.wastedBytesByLayer).toEqual([20, 0]);
  });

  it('a file replacing a directory drops the directory\'s whole subtree', () => {
    const v = mergeLayers([L(dir('p'), f('p/a', { size: 5 }), f('p/b', { size: 7 })), L(f('p', { size: 1 }))]);
    expect(paths(v)).toEqual(['p@1']);
    expect(v.wastedBytes).toBe(12);
  });

  it('a directory over a directory merges contents and takes the upper metadata', () => {
    const v = mergeLayers([L(dir('p'), f('p/a')), L(f('p', { type: 'directory', size: 0, mode: 0o700 }), f('p/b'))]);
    expect(paths(v)).toEqual(['p@1', 'p/a@0', 'p/b@1']);
    expect(v.files[0].mode).toBe(0o700);
  });

  it('overwriting a file wastes the lower copy; a symlink may replace a file', () => {
    const v = mergeLayers([L(f('x', { size: 50 })), L(f('x', { type: 'symlink', size: 0, linkname: 'y' }))]);
    expect(v.files).toHaveLength(1);
    expect(v.files[0].type).toBe('symlink');
    expect(v.wastedBytesByLayer).toEqual([50, 0]);
  });

  it('creates implicit parents and skips dangerous entries without following them', () => {
    const v = mergeLayers([L(f('a/b/c'), f('../evil', { danger: 'parent-traversal' }))]);
    expect(paths(v)).toEqual(['a@0', 'a/b@0', 'a/b/c@0']);
    expect(v.files[0].implicit).toBe(true);
    expect(v.skipped.map((s) => s.file.path)).toEqual(['../evil']);
  });

  it('a whiteout of a missing path and a whiteout in a later layer of a re-added file behave like overlayfs', () => {
    const v = mergeLayers([L(f('a')), L(f('.wh.nothing'), f('.wh.a')), L(f('a', { size: 3 }))]);
    expect(paths(v)).toEqual(['a@2']);
    expect(v.wastedBytesByLayer).toEqual([10, 0, 0]);
  });

  it('orders children bytewise', () => {
    expect(['b', 'B', 'a-b', 'a', 'é'].sort(compareBytes)).toEqual(['B', 'a', 'a-b', 'b', 'é']);
  });
});

describe('resolveLinkTarget', () => {
  it('resolves relative symlinks from the link\'s directory and refuses to climb out', () => {
    expect(resolveLinkTarget('usr/lib/libz.so', 'libz.so.1', false)).toBe('usr/lib/libz.so.1');
    expect(resolveLinkTarget('usr/lib/x', '../../etc/passwd', false)).toBe('etc/passwd');
    expect(resolveLinkTarget('usr/x', '../../etc/passwd', false)).toBeUndefined();
    expect(resolveLinkTarget('bin/sh', '/bin/busybox', false)).toBe('bin/busybox');
    expect(resolveLinkTarget('a/b', 'c/d', true)).toBe('c/d');
  });
});
