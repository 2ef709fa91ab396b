import { openAsBlob } from 'node:fs';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { layerFromBlob } from '../image';
import { MediaTypes } from '../oci';
import { tarBytes, type TarWriteEntry } from '../tar';
import { listLayer, toLayerFile } from './listing';
import { mergeLayers } from './merge';

const layerOfEntries = (entries: TarWriteEntry[]) => layerFromBlob(new Blob([tarBytes(entries) as BlobPart]), { mediaType: MediaTypes.ociLayer });

describe('listLayer on built layers', () => {
  it('a root entry "/" (kaniko starts every layer with one) is the root, listed without a danger or a warning', async () => {
    const l = await listLayer(layerOfEntries([
      { name: '/', type: 'directory', mode: 0o755 }, { name: 'etc/', type: 'directory' }, { name: 'etc/hosts', type: 'file', body: new Uint8Array(3) },
      { name: '/etc/shadow', type: 'file', body: new Uint8Array(1) },
    ]));
    expect(l.files.map((f) => [f.rawName, f.path, f.danger ?? ''])).toEqual([['/', '', ''], ['etc/', 'etc', ''], ['etc/hosts', 'etc/hosts', ''], ['/etc/shadow', 'etc/shadow', 'absolute-path']]);
    expect(l.warnings.map((w) => w.message)).toEqual([expect.stringContaining("'/etc/shadow' is absolute")]);
    const merged = mergeLayers([l]);
    expect(merged.files.map((f) => f.path)).toEqual(['etc', 'etc/hosts']);
    expect(merged.skipped.map((s) => s.file.rawName)).toEqual(['/etc/shadow']);
  });

  it('a path over 4096 bytes or 1024 components is listed as path-too-long; the rest of the layer lists and merges', async () => {
    const deep = (n: number, c = 'a') => Array.from({ length: n }, () => c).join('/');
    const names = [deep(16_000), deep(1_025), 'x/' + 'é'.repeat(2_048), deep(1_024, 'b'), 'x/' + 'é'.repeat(2_047)];
    const l = await listLayer(layerOfEntries([
      { name: 'before', type: 'file', body: new Uint8Array(2) },
      ...names.map((name): TarWriteEntry => ({ name, type: 'file', body: new Uint8Array(1) })),
      { name: 'after', type: 'file', body: new Uint8Array(2) },
    ]));
    expect(l.files.map((f) => f.danger ?? '')).toEqual(['', 'path-too-long', 'path-too-long', 'path-too-long', '', '', '']);
    const merged = mergeLayers([l]);
    expect(merged.skipped.map((s) => s.file.path)).toEqual(names.slice(0, 3));
    expect(merged.files.filter((f) => !f.implicit).map((f) => f.path)).toEqual(['after', 'b/' + deep(1_023, 'b'), 'before', names[4]]);
  });

  it('an index written into the columns an earlier, longer one grew lists only its own entries', async () => {
    const files = (n: number, prefix: string): TarWriteEntry[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}/${i}`, type: 'file', body: new Uint8Array(i % 3), uid: i, mtime: 1000 + i }));
    const big = await listLayer(layerOfEntries(files(300, 'big')));
    const small = await listLayer(layerOfEntries(files(5, 'small')));
    const again = await listLayer(layerOfEntries(files(300, 'big')));
    expect(big.files).toHaveLength(300);
    expect(small.files.map((f) => [f.path, f.size, f.uid, f.mtime])).toEqual(Array.from({ length: 5 }, (_, i) => [`small/${i}`, i % 3, i, 1000 + i]));
    expect(again.files).toEqual(big.files);
  });

  it('an entry under a symlink listed earlier in the same layer is flagged through-symlink; a name sharing only a prefix, or before the link, is not', async () => {
    const l = await listLayer(layerOfEntries([
      { name: 'usr/lib/a', type: 'file' }, { name: 'lib/early', type: 'file' }, { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      { name: 'lib/x', type: 'file' }, { name: 'lib/a/b/c', type: 'file' }, { name: 'libx/y', type: 'file' }, { name: 'usr/lib/z', type: 'file' },
      { name: 'd/e', type: 'symlink', linkname: '.' }, { name: 'd/e/f', type: 'file' }, { name: 'd/ef', type: 'file' }, { name: 'd/e', type: 'file' },
    ]));
    expect(l.files.map((f) => [f.path, f.danger ?? ''])).toEqual([
      ['usr/lib/a', ''], ['lib/early', ''], ['lib', ''], ['lib/x', 'through-symlink'], ['lib/a/b/c', 'through-symlink'], ['libx/y', ''], ['usr/lib/z', ''],
      ['d/e', ''], ['d/e/f', 'through-symlink'], ['d/ef', ''], ['d/e', ''],
    ]);
    const next = await listLayer(layerOfEntries([{ name: 'lib/x', type: 'file' }]));
    expect(next.files[0].danger).toBeUndefined();
  });

  it('uids and gids past 32 bits, or negative (PAX records) are listed exactly, before and after ids that fit, and in a layer indexed next', async () => {
    const ids: Array<[number, number]> = [[0, 0], [65_534, 4_294_967_295], [2 ** 40, 7], [3, -5], [1000, 1000], [2 ** 32, 2 ** 53 - 1]];
    const wide = await listLayer(layerOfEntries(ids.map(([uid, gid], i): TarWriteEntry => ({ name: `f${i}`, type: 'file', uid, gid }))));
    expect(wide.files.map((f) => [f.uid, f.gid])).toEqual(ids);
    const narrow = await listLayer(layerOfEntries(ids.slice(0, 2).map(([uid, gid], i): TarWriteEntry => ({ name: `g${i}`, type: 'file', uid, gid, mode: 0o7777 }))));
    expect(narrow.files.map((f) => [f.uid, f.gid, f.mode])).toEqual(ids.slice(0, 2).map(([u, g]) => [u, g, 0o7777]));
  });
});

const layerOf = async (rel: string) => layerFromBlob(await openAsBlob(fixture(rel)), { mediaType: MediaTypes.ociLayer });

describe.skipIf(!haveFixtures)('listLayer on real layers', () => {
  it('classifies file and opaque whiteouts (regclient layer-wh.tar)', async () => {
    const l = await listLayer(await layerOf('regclient/testdata/layer-wh.tar'));
    expect(l.files.map((f) => [f.path, f.whiteout ?? '', f.whiteoutTarget ?? ''])).toEqual([
      ['layer1.txt', '', ''],
      ['.wh.layer2.txt', 'file', 'layer2.txt'],
      ['layer3.txt', '', ''],
      ['exdir', '', ''],
      ['exdir/.wh..wh..opq', 'opaque', 'exdir'],
    ]);
    expect(l.fileBytes).toBe(4);
    expect(l.files[0]).toMatchObject({ mode: 0o644, uid: 1000, gid: 1000, size: 2 });
  });

  it('a layer with an opaque dir over a base hides the base directory\'s children', async () => {
    const top = await listLayer(await layerOf('regclient/testdata/layer-wh.tar'));
    const base = { files: ['exdir', 'exdir/gone', 'layer2.txt'].map((p, i) => toLayerFile({
      name: p + (i === 0 ? '/' : ''), nameBytes: new TextEncoder().encode(p), type: i === 0 ? 'directory' : 'file', typeflag: i === 0 ? '5' : '0',
      mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, linkname: '', size: 3, devmajor: 0, devminor: 0, headerOffset: 0, dataOffset: 0,
    })), warnings: [], fileBytes: 6 };
    const merged = mergeLayers([base, top]);
    expect(merged.files.map((f) => f.path)).toEqual(['exdir', 'layer1.txt', 'layer3.txt']);
    expect(merged.wastedBytesByLayer[0]).toBe(6);
  });

  it('flags every path-traversal attack and follows none', async () => {
    const names = ['absolute1', 'absolute2', 'relative0', 'relative2', 'dirsymlink', 'dirsymlink2a', 'dirsymlink2b'];
    for (const n of names) {
      const rel = `conda/tests/data/tar_traversal/${n}.tar`;
      const l = await listLayer(await layerOf(rel));
      const dangerous = l.files.filter((f) => f.danger);
      const merged = mergeLayers([l]);
      expect(merged.skipped.length, n).toBe(dangerous.length);
      expect(merged.files.every((f) => !f.path.startsWith('/') && !f.path.split('/').includes('..')), n).toBe(true);
      expect(dangerous.length, `${n}: ${JSON.stringify(l.files.map((f) => [f.rawName, f.linkname]))}`).toBeGreaterThan(0);
    }
  });
});

describe('listLayer with measure', () => {
  it('a gzip layer is decoded once: the listing and its uncompressed size (trailing bytes after the end marker counted) come from one pass', async () => {
    const tar = tarBytes([{ name: 'etc/hosts', type: 'file', body: new Uint8Array(700) }, { name: 'bin/', type: 'directory' }]);
    const withTail = new Uint8Array(tar.length + 5000);
    withTail.set(tar);
    const base = layerFromBlob(new Blob([gzipSync(withTail) as BlobPart]), { mediaType: MediaTypes.ociLayerGzip });
    let decodes = 0;
    const counted = { ...base, uncompressed: () => { decodes++; return base.uncompressed(); } };
    const l = await listLayer(counted, { measure: true });
    expect(l.files.map((f) => f.path)).toEqual(['etc/hosts', 'bin']);
    expect(l.uncompressedBytes).toBe(withTail.length);
    expect(decodes).toBe(1);
    expect(await base.uncompressedSize()).toBe(withTail.length);
    // without measure the walk stops at the end marker and leaves the size unset
    expect((await listLayer(counted)).uncompressedBytes).toBeUndefined();
  });

  it('an uncompressed layer held as a Blob is measured by its size, headers only', async () => {
    const tar = tarBytes([{ name: 'a', type: 'file', body: new Uint8Array(3) }]);
    const l = await listLayer(layerFromBlob(new Blob([tar as BlobPart]), { mediaType: MediaTypes.ociLayer }), { measure: true });
    expect(l.uncompressedBytes).toBe(tar.length);
  });

  it('a corrupt gzip tail after the end marker fails the measured listing with a typed error', async () => {
    const gz = gzipSync(tarBytes([{ name: 'a', type: 'file', body: new Uint8Array(3) }]));
    gz[gz.length - 6] ^= 0xff; // the CRC-32 of the trailer
    const layer = layerFromBlob(new Blob([gz as BlobPart]), { mediaType: MediaTypes.ociLayerGzip });
    await expect(listLayer(layer, { measure: true })).rejects.toMatchObject({ code: expect.any(String) });
  });
});
