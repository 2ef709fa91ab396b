import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../oci';
import { layerFromFiles } from './content-layer';
import { folderFromFileList, layerFromFolder } from './folder';
import { folderFromPath } from './folder.node';
import { appendLayers } from './mutate';
import { emptyImage } from './image';
import { gzipLayer } from './gzip-layer';
import { validate } from './validate';
import type { Layer } from './types';

const tmp = mkdtempSync(join(tmpdir(), 'content-layer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Writes the layer's blob (compressed form; the tar itself for uncompressed layers) to a temp file. */
async function tarFile(layer: Layer): Promise<string> {
  const p = join(tmp, `layer-${n++}.tar`);
  writeFileSync(p, new Uint8Array(await new Response(layer.compressed()).arrayBuffer()));
  return p;
}
const gnuList = (p: string): string[] => execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', p], { env: { TZ: 'UTC', LC_ALL: 'C.UTF-8' } }).toString().trim().split('\n');
/** the path column of a `tar -tv` line (symlinks: 'name -> target') */
const pathOf = (l: string): string => l.replace(/^.*?\d\d:\d\d:\d\d /, '');
const sha256sum = (p: string): string => 'sha256:' + execFileSync('sha256sum', [p]).toString().split(' ')[0];

describe('layerFromFiles', () => {
  const files = { 'etc/app.conf': 'x=1\n', 'bin/tool': 'echo hi\n', 'a b/ü.txt': new Uint8Array([1, 2, 3]) };

  it('gives the tar GNU tar lists as expected, whose sha256sum is the diffId (golden)', async () => {
    const layer = layerFromFiles([
      ...Object.entries(files).map(([path, content]) => ({ path, content, mode: path === 'bin/tool' ? 0o755 : undefined })),
      { path: 'var/empty', type: 'directory' as const },
      { path: 'bin/sh', type: 'symlink' as const, linkname: 'tool' },
    ], { epoch: 1700000000 });
    expect(layer.mediaType).toBe(MediaTypes.ociLayer);
    const p = await tarFile(layer);
    expect(gnuList(p)).toEqual([
      'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 a b/',
      '-rw-r--r-- 0/0               3 2023-11-14 22:13:20 a b/ü.txt',
      'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 bin/',
      'lrwxrwxrwx 0/0               0 2023-11-14 22:13:20 bin/sh -> tool',
      '-rwxr-xr-x 0/0               8 2023-11-14 22:13:20 bin/tool',
      'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 etc/',
      '-rw-r--r-- 0/0               4 2023-11-14 22:13:20 etc/app.conf',
      'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 var/',
      'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 var/empty/',
    ]);
    const diffId = await layer.diffId();
    expect(sha256sum(p)).toBe(diffId);
    expect(await layer.digest()).toBe(diffId);
    expect(await layer.size()).toBe(readFileSync(p).length);
    expect(diffId).toBe('sha256:e8c189484032994ad518d901a0a5fbf7086ef914681106249a3576698081d2fc');
  });

  it('is deterministic: same files in another order → same diffId; epoch and prefix change it', async () => {
    const a = await layerFromFiles(files).diffId();
    const b = await layerFromFiles(Object.fromEntries(Object.entries(files).reverse())).diffId();
    expect(b).toBe(a);
    expect(a).toBe('sha256:477615df0ba3af6090313df18c3bdc07ffb9cb2c5d593bc19875b3b8233b8934');
    expect(await layerFromFiles(files, { epoch: 1 }).diffId()).not.toBe(a);
    const prefixed = layerFromFiles(files, { prefix: '/opt/app/' });
    expect(gnuList(await tarFile(prefixed)).slice(0, 3).map(pathOf)).toEqual(['opt/', 'opt/app/', 'opt/app/a b/']);
  });

  it('refuses paths that leave the root', () => {
    expect(() => layerFromFiles({ '../x': 'y' })).toThrow(expect.objectContaining({ code: 'unsafe-path' }));
    expect(() => layerFromFiles([{ path: 'a', content: 'x' }, { path: 'a/b', content: 'y' }])).toThrow(/both a file and a parent/);
  });

  it('appended to the empty image, validates and unpacks with umoci to the same files', async () => {
    const img = appendLayers(emptyImage(), [{ layer: layerFromFiles(files, { prefix: 'srv' }), history: { created_by: 'test' } }]);
    await validate(img);
    const dir = join(tmp, 'oci');
    mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
    const put = (d: string, b: Uint8Array) => writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), b);
    put(await img.digest(), await img.rawManifest());
    put((await img.manifest()).config.digest, await img.rawConfig());
    for (const l of await img.layers()) put(await l.digest(), new Uint8Array(await new Response(l.compressed()).arrayBuffer()));
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaTypes.ociManifest, digest: await img.digest(), size: (await img.rawManifest()).length, annotations: { 'org.opencontainers.image.ref.name': 't' } }] }));
    execFileSync('umoci', ['unpack', '--rootless', '--image', `${dir}:t`, join(tmp, 'bundle')], { stdio: 'pipe' });
    const root = join(tmp, 'bundle/rootfs/srv');
    for (const [p, c] of Object.entries(files)) expect(new Uint8Array(readFileSync(join(root, p)))).toEqual(typeof c === 'string' ? new TextEncoder().encode(c) : c);
  });
});

describe('layerFromFolder', () => {
  const src = join(tmp, 'folder');
  mkdirSync(join(src, 'bin'), { recursive: true });
  mkdirSync(join(src, 'empty'));
  mkdirSync(join(src, 'lib/deep'), { recursive: true });
  writeFileSync(join(src, 'bin/run'), '#!/bin/sh\necho run\n');
  chmodSync(join(src, 'bin/run'), 0o700);
  writeFileSync(join(src, 'lib/deep/data.bin'), new Uint8Array(100_000).map((_, i) => i * 7));
  writeFileSync(join(src, 'README'), 'readme\n');
  chmodSync(join(src, 'README'), 0o600);
  symlinkSync('bin/run', join(src, 'run'));

  it('Node path: symlinks kept, x bits → 0755, empty directories kept; GNU tar extracts the same bytes', async () => {
    const layer = layerFromFolder(folderFromPath(src));
    const p = await tarFile(layer);
    expect(gnuList(p).map((l) => `${l.slice(0, 10)} ${pathOf(l)}`)).toEqual([
      '-rw-r--r-- README', 'drwxr-xr-x bin/', '-rwxr-xr-x bin/run', 'drwxr-xr-x empty/', 'drwxr-xr-x lib/',
      'drwxr-xr-x lib/deep/', '-rw-r--r-- lib/deep/data.bin', 'lrwxrwxrwx run -> bin/run',
    ]);
    expect(sha256sum(p)).toBe(await layer.diffId());
    const out = join(tmp, 'x1');
    mkdirSync(out);
    execFileSync('tar', ['-xf', p, '-C', out]);
    expect(readFileSync(join(out, 'lib/deep/data.bin'))).toEqual(readFileSync(join(src, 'lib/deep/data.bin')));
    expect(readdirSync(join(out, 'empty'))).toEqual([]);
    expect(await layerFromFolder(folderFromPath(src)).diffId()).toBe(await layer.diffId());
    expect(await layer.diffId()).toBe('sha256:d06f14b5d663e8db794fd252bc6775998a41cca438f3fb28035380d8b97c59cc');
  });

  it('portable: Node path and a File list of the same folder give the same diffId', async () => {
    const paths = ['README', 'bin/run', 'lib/deep/data.bin'];
    const files = paths.reverse().map((p) => {
      const f = new File([readFileSync(join(src, p))], p.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: `folder/${p}` });
      return f;
    });
    const fromList = await layerFromFolder(folderFromFileList(files)).diffId();
    // {path, file} pairs (Files sent to a worker lose webkitRelativePath) give the same layer
    const pairs = paths.map((p) => ({ path: `folder/${p}`, file: new File([readFileSync(join(src, p))], 'x') }));
    expect(await layerFromFolder(folderFromFileList(pairs)).diffId()).toBe(fromList);
    const fromPath = await layerFromFolder(folderFromPath(src), { portable: true }).diffId();
    expect(fromPath).toBe(fromList);
    expect(fromPath).not.toBe(await layerFromFolder(folderFromPath(src)).diffId());
    const listing = gnuList(await tarFile(layerFromFolder(folderFromPath(src), { portable: true }))).map((l) => `${l.slice(0, 10)} ${pathOf(l)}`);
    expect(listing).toEqual(['-rw-r--r-- README', 'drwxr-xr-x bin/', '-rw-r--r-- bin/run', 'drwxr-xr-x lib/', 'drwxr-xr-x lib/deep/', '-rw-r--r-- lib/deep/data.bin']);
  });

  it('filter and prefix apply', async () => {
    const layer = layerFromFolder(folderFromPath(src), { filter: (p) => !p.startsWith('lib'), prefix: 'app', epoch: 5 });
    const names = gnuList(await tarFile(layer)).map(pathOf);
    expect(names).toEqual(['app/', 'app/README', 'app/bin/', 'app/bin/run', 'app/empty/', 'app/run -> bin/run']);
  });
});

describe('gzipLayer', () => {
  it('compresses deterministically; gzip -dc gives back the tar; validates in an image', async () => {
    const plain = layerFromFiles({ 'a.txt': 'a'.repeat(200_000), 'b.txt': 'b\n' });
    const gz = gzipLayer(plain);
    const gzPath = await tarFile(gz);
    expect(gz.mediaType).toBe(MediaTypes.ociLayerGzip);
    expect('sha256:' + execFileSync('sh', ['-c', 'gzip -dc "$0" | sha256sum', gzPath]).toString().split(' ')[0]).toBe(await plain.diffId());
    expect(sha256sum(gzPath)).toBe(await gz.digest());
    expect(await gz.size()).toBe(readFileSync(gzPath).length);
    expect(await gzipLayer(layerFromFiles({ 'b.txt': 'b\n', 'a.txt': 'a'.repeat(200_000) })).digest()).toBe(await gz.digest());
    // golden: changes only if the tar writer or the deflate implementation (fflate, level 6) changes
    expect(await gz.digest()).toBe('sha256:dd5c81fc36b81769285a7fa860b97748e564e784674984353ae98ba3471e5771');
    const [v] = await validate(appendLayers(emptyImage(), [{ layer: gz }]));
    expect(v.diffId).toBe(await plain.diffId());
    expect(() => gzipLayer(gz)).toThrow(/uncompressed layer/);
  });
});
