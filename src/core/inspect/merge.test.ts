import { describe, expect, it } from 'vitest';
import type { LayerFile, LayerListing } from './listing';
import { mergeLayers, mergeIndexes, compareBytes } from './merge';
import { LayerIndex } from './listing';
import { resolveLinkTarget } from './listing';
import { largestFiles } from './session';

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

  describe('a hardlink resolves against the layer it was written in', () => {
    const link = (p: string, target: string) => f(p, { type: 'hardlink', size: 0, linkname: target });
    const base = L(f('bar', { size: 4 }), link('bar-hard', 'bar'));
    const at = (v: ReturnType<typeof mergeLayers>, p: string) => v.files.find((x) => x.path === p);

    it('stays a link while its target stands', () => {
      expect(at(mergeLayers([base, L(f('other'))]), 'bar-hard')).toMatchObject({ type: 'hardlink', linkname: 'bar', size: 0, layer: 0 });
    });

    it('a target rewritten, chmod\'ed (copied up), deleted or hidden by an opaque directory leaves the old file', () => {
      for (const upper of [L(f('bar', { size: 9 })), L(f('bar', { size: 4, mode: 0o4755 })), L(f('.wh.bar'))]) {
        const v = mergeLayers([base, upper]);
        expect(at(v, 'bar-hard')).toEqual({ path: 'bar-hard', rawName: 'bar-hard', type: 'file', size: 4, mode: 0o644, uid: 0, gid: 0, mtime: 0, layer: 0 });
        expect(v.wastedBytes).toBe(0); // the old bytes are still there, under the link
      }
      const opaque = mergeLayers([L(dir('d'), f('d/bar', { size: 4 }), link('x', 'd/bar')), L(dir('d'), f('d/.wh..wh..opq'), f('d/new'))]);
      expect(at(opaque, 'x')).toMatchObject({ type: 'file', size: 4, layer: 0 });
      expect(at(opaque, 'x')!.linkname).toBeUndefined();
    });

    it('a link overwritten in a later layer is that layer\'s file; its old target is untouched', () => {
      const v = mergeLayers([base, L(f('bar-hard', { size: 17 }))]);
      expect(at(v, 'bar-hard')).toMatchObject({ type: 'file', size: 17, layer: 1 });
      expect(at(v, 'bar')).toMatchObject({ type: 'file', size: 4, layer: 0 });
    });

    it('a target replaced later in the same layer leaves the link on the first one', () => {
      const v = mergeLayers([L(f('bar', { size: 4 }), link('h', 'bar'), f('bar', { size: 8 }))]);
      expect(at(v, 'h')).toMatchObject({ type: 'file', size: 4 });
    });

    it('several links to one detached inode: the first is the file, the others link to it', () => {
      const v = mergeLayers([L(f('bar', { size: 4 }), link('h1', 'bar'), link('h2', 'bar'), link('h3', 'h1')), L(f('.wh.bar'))]);
      expect(v.files.map((x) => [x.path, x.type, x.linkname ?? '', x.size])).toEqual([
        ['h1', 'file', '', 4], ['h2', 'hardlink', 'h1', 0], ['h3', 'hardlink', 'h1', 0],
      ]);
      expect(v.wastedBytes).toBe(0);
      // once the links go too, the bytes are wasted
      expect(mergeLayers([L(f('bar', { size: 4 }), link('h1', 'bar')), L(f('.wh.bar'), f('.wh.h1'))]).wastedBytesByLayer).toEqual([4, 0]);
    });
  });

  describe('deep paths', () => {
    const deep = (n: number) => Array.from({ length: n }, () => 'a').join('/');

    it('16,000 components: no recursion on depth (no stack overflow)', () => {
      const v = mergeLayers([L(f(deep(16_000), { size: 1 }), f('top')), L(f(deep(3) + '/.wh.a'))]);
      expect(v.files).toHaveLength(4);
      expect(v.files.map((x) => x.path)).toEqual(['a', 'a/a', 'a/a/a', 'top']);
      expect(v.wastedBytes).toBe(1);
    });

    it('ancestors are not rebuilt per component: the merge of 10,000 components retains little memory', () => {
      const before = process.memoryUsage().heapUsed;
      const v = mergeLayers([L(f(deep(10_000)))]);
      const retained = process.memoryUsage().heapUsed - before;
      expect(v.files).toHaveLength(10_000);
      expect(v.files[9_998].path).toBe(deep(9_999));
      // each ancestor's path rebuilt by joining its components holds ~10^8 characters in all
      expect(retained).toBeLessThan(32 * 2 ** 20);
    });
  });

  it('the merged index answers path, type, size, link and danger as the MergedFile it builds', () => {
    const link = (p: string, target: string) => f(p, { type: 'hardlink', size: 0, linkname: target });
    const layers = [
      L(dir('d'), f('d/bar', { size: 4 }), link('h1', 'd/bar'), link('h2', 'd/bar'), f('s', { type: 'symlink', size: 0, linkname: '../x', danger: 'link-escapes' }), f('a/b/c', { size: 2 }), f('../evil', { danger: 'parent-traversal' })),
      L(f('d/.wh.bar'), f('a', { type: 'directory', size: 0, mode: 0o700 }), f('e/.wh..wh..opq'), f('big', { size: 99 })),
    ];
    const m = mergeIndexes(layers.map((l) => LayerIndex.of(l)));
    const view = mergeLayers(layers);
    expect(m.count).toBe(view.files.length);
    for (let i = 0; i < m.count; i++) {
      const file = m.file(i);
      expect(file).toEqual(view.files[i]);
      expect([m.path(i), m.type(i), m.size(i), m.linkname(i), m.danger(i), m.layerOf[i]]).toEqual([file.path, file.type, file.size, file.linkname, file.danger, file.layer]);
    }
    expect(view.files.map((x) => `${x.path}:${x.type}:${x.linkname ?? ''}`)).toEqual(['a:directory:', 'a/b:directory:', 'a/b/c:file:', 'big:file:', 'd:directory:', 'h1:file:', 'h2:hardlink:h1', 's:symlink:../x']);
    expect(view.skipped.map((x) => x.file.path)).toEqual(['../evil']);
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

describe('largestFiles', () => {
  it('gives what a stable sort of every regular file by size gives: largest first, ties in merged order', () => {
    const sizes = [5, 9, 1, 9, 3, 7, 9, 0, 2, 7, 4, 8];
    const files = sizes.map((size, i) => f(`d/f${String(i).padStart(2, '0')}`, { size }));
    const m = mergeIndexes([
      LayerIndex.of(L(dir('d'), ...files.slice(0, 6), f('d/link', { type: 'symlink', size: 0, linkname: 'f00' }))),
      LayerIndex.of(L(...files.slice(6), dir('d/sub'), f('d/f01', { size: 6 }))),
    ]);
    const regular = Array.from({ length: m.count }, (_, i) => i).filter((i) => m.type(i) === 'file');
    for (const n of [0, 1, 3, 4, 8, regular.length, regular.length + 5]) {
      const sorted = [...regular].sort((a, b) => m.size(b) - m.size(a)).slice(0, n);
      expect(largestFiles(m, n)).toEqual(sorted);
    }
    expect(largestFiles(m, 3).map((i) => `${m.path(i)}:${m.size(i)}`)).toEqual(['d/f03:9', 'd/f06:9', 'd/f11:8']);
  });
});
