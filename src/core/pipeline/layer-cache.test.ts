/**
 * The layer cache over folders (what the CLI's --cache keeps): a rebuild takes every layer from the cache
 * and writes the same archive; changing one leaf package builds only its layer; bytes changed on disk are
 * found by their digest and built again; a lock's missing md5s are kept from verified reads, so a cached rebuild
 * reads no package; a cancelled build leaves no entry without whole, verified bytes;
 * a store whose writes hit the quota leaves the build uncached with one warning.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getVerified, memoryBlobStore, type BlobStore, type RecordStore } from '../cache';
import type { SolvedRecord } from '../solver';
import { folderBlobStore } from '../cache/blob-store.node.js';
import { folderRecordStore } from '../cache/record-store.node.js';
import { folderChannel } from '../conda/channel-folder.node';
import { localChannelFetch } from '../conda/local-channel';
import { digestStream, digestHex, PIECE_BYTES, type Digest, type PieceDigests } from '../digest';
import { writeDockerArchive } from '../archive';
import { writeDockerArchiveToFile } from '../archive/file.node';
import { emptyImage, validate } from '../image';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { buildEnvironment } from './build';
import { layerCache, type LayerCache } from './layer-cache';
import { LAYER_FORMAT_VERSION } from './layer-format';
import { oneAtATime, runLayerJob, type LayerRunner } from './layer-job';

const dir = mkdtempSync(join(tmpdir(), 'layer-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a build of `specs` from the dummy channel; `built` counts the layer jobs actually run */
async function build(specs: string[], cache?: LayerCache, opts: { runner?: LayerRunner; signal?: AbortSignal; store?: BlobStore; toFile?: string; packageReads?: string[]; lock?: SolvedRecord[]; packageMd5s?: RecordStore } = {}) {
  const channel = folderChannel(fixture('pixi/tests/data/channels/channels/dummy_channel_1'));
  const local = localChannelFetch([channel], () => Promise.reject(new Error('nothing leaves the folder')));
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (/\.(conda|tar\.bz2)$/.test(url)) opts.packageReads?.push(url);
    return local(input, init);
  };
  const counter = { built: 0 };
  const inner = opts.runner ?? oneAtATime((job) => runLayerJob(job));
  const layerRunner: LayerRunner = (job, signal) => { counter.built++; return inner(job, signal); };
  const r = await buildEnvironment({
    base: emptyImage(), specs, channels: [channel.url], fetch, repodataFetch: fetch, epoch: 1_700_000_000,
    store: opts.store ?? memoryBlobStore(), layerRunner, ...(cache ? { layerCache: cache } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.lock ? { lock: opts.lock } : {}), ...(opts.packageMd5s ? { packageMd5s: opts.packageMd5s } : {}),
  });
  // a stream (cached layers hashed before they are written), or a file (hashed as they are written, and written over when wrong)
  const items = [{ image: r.image, tags: ['env:1'] }];
  const archive = opts.toFile
    ? await writeDockerArchiveToFile(items, opts.toFile, { mtime: 1_700_000_000 }).then(() => digestStream(new Blob([readFileSync(opts.toFile!)]).stream()))
    : await digestStream(writeDockerArchive(items, { mtime: 1_700_000_000 }));
  await validate(r.image);
  return { archive: archive.digest, digest: await r.image.digest(), sources: await r.layerSources, warnings: await r.warnings, built: counter.built, solved: r.solved };
}

function folderCache(name: string) {
  const root = join(dir, name);
  const blobs = folderBlobStore(join(root, 'blobs'));
  const records = folderRecordStore(join(root, 'layers'));
  return { root, blobs, records, cache: layerCache(blobs, records) };
}

describe.skipIf(!haveFixtures)('layer cache', () => {
  it('a stored package is verified when a layer job reads it: unread while its layer is cached, downloaded again once read and found changed', { timeout: 60_000 }, async () => {
    const packages = join(dir, 'lazy-packages');
    const store = folderBlobStore(packages);
    const reads: string[] = [];
    const { cache } = folderCache('lazy');
    const first = await build(['dummy-a', 'dummy-b'], cache, { store, packageReads: reads });
    const downloaded = reads.length;
    expect(downloaded).toBeGreaterThan(0);
    // one stored package's bytes changed on disk
    const [name] = readdirSync(join(packages, 'sha256')).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const file = join(packages, 'sha256', name);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(file, bytes);
    // every layer from the layer cache: no package is read, none downloaded, the same archive
    const cached = await build(['dummy-a', 'dummy-b'], cache, { store, packageReads: reads });
    expect(cached.sources).toEqual(['cached', 'cached', 'cached']);
    expect(reads.length).toBe(downloaded);
    expect(cached.archive).toBe(first.archive);
    // an empty layer cache: every job reads its packages; the changed one is found by its digest and downloaded again
    const rebuilt = await build(['dummy-a', 'dummy-b'], folderCache('lazy-empty').cache, { store, packageReads: reads });
    expect(rebuilt.built).toBe(3);
    expect(reads.length).toBe(downloaded + 1);
    expect(rebuilt.archive).toBe(first.archive);
    expect(await getVerified(store, `sha256:${name}`)).toBeDefined();
  });

  it('a lock without md5s: the md5s taken from the packages\' verified bytes are kept, so a rebuild with every layer cached reads no package', { timeout: 60_000 }, async () => {
    const packages = join(dir, 'md5-packages');
    const store = folderBlobStore(packages);
    const md5s = folderRecordStore(join(dir, 'md5-records'));
    const reads: string[] = [];
    const solved = (await build(['dummy-a', 'dummy-b'], undefined, { store, packageReads: reads })).solved;
    // an explicit lock carries one hash: no md5, no size
    const lock = solved.map(({ md5: _md5, size: _size, ...r }) => r);
    const { cache } = folderCache('md5');
    const first = await build([], cache, { store, lock, packageMd5s: md5s, packageReads: reads });
    expect(first.built).toBe(3);
    expect((await md5s.keys()).sort()).toEqual(solved.map((r) => r.sha256!.toLowerCase()).sort());
    expect(await md5s.read(solved[0].sha256!.toLowerCase())).toBe(`${solved[0].md5} ${solved[0].size}`);
    // one stored package's bytes changed on disk (same length): a build that read it would download it again
    const [name] = readdirSync(join(packages, 'sha256')).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const file = join(packages, 'sha256', name);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(file, bytes);
    const downloaded = reads.length;
    const again = await build([], cache, { store, lock, packageMd5s: md5s, packageReads: reads });
    expect(again.sources).toEqual(['cached', 'cached', 'cached']);
    expect(reads.length).toBe(downloaded);
    expect(again.archive).toBe(first.archive);
    // the same lock without the kept md5s reads every package (the changed one is downloaded again): same archive
    const read = await build([], cache, { store, lock, packageReads: reads });
    expect(reads.length).toBe(downloaded + 1);
    expect(read.archive).toBe(first.archive);
    // a stored package cut short, its layers not cached: its job reads it, finds it wrong by its digest and
    // downloads it again, with the size kept from the verified read (not the stored file's): the same archive
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    const cut = await build([], folderCache('md5-cut').cache, { store, lock, packageMd5s: md5s, packageReads: reads });
    expect(reads.length).toBe(downloaded + 2);
    expect(cut.archive).toBe(first.archive);
  });

  it('a kept md5 that is not the package\'s is found when a layer job reads the package: a clear error, the record dropped, the next build right', { timeout: 60_000 }, async () => {
    const store = folderBlobStore(join(dir, 'md5-wrong-packages'));
    const md5s = folderRecordStore(join(dir, 'md5-wrong-records'));
    const solved = (await build(['dummy-a', 'dummy-b'], undefined, { store })).solved;
    const lock = solved.map(({ md5: _md5, ...r }) => r);
    const right = await build([], undefined, { store, lock, packageMd5s: md5s });
    const wrong = solved[0].sha256!.toLowerCase();
    await md5s.write(wrong, `${'0'.repeat(32)} ${solved[0].size}`);
    await expect(build([], folderCache('md5-wrong').cache, { store, lock, packageMd5s: md5s })).rejects.toThrow(/md5 .* not the 0{32} recorded/);
    expect(await md5s.read(wrong)).toBeUndefined();
    const again = await build([], folderCache('md5-wrong-2').cache, { store, lock, packageMd5s: md5s });
    expect(again.archive).toBe(right.archive);
    expect(await md5s.read(wrong)).toBe(`${solved[0].md5} ${solved[0].size}`);
  });

  it('a rebuild takes every layer from the cache and writes the same archive; one changed leaf builds one layer', { timeout: 60_000 }, async () => {
    const { cache, records } = folderCache('rebuild');
    const first = await build(['dummy-a', 'dummy-b'], cache);
    expect(first.sources).toEqual(['built', 'built', 'built']);
    expect(first.built).toBe(3);
    expect(await records.keys()).toHaveLength(3);
    const again = await build(['dummy-a', 'dummy-b'], cache);
    expect(again.sources).toEqual(['cached', 'cached', 'cached']);
    expect(again.built).toBe(0);
    expect(again.archive).toBe(first.archive);
    // dummy-b (a leaf) swapped for dummy-f: dummy-a's and dummy-c's layers come from the cache
    const changed = await build(['dummy-a', 'dummy-f'], cache);
    expect(changed.built).toBe(1);
    expect(changed.sources.filter((s) => s === 'built')).toHaveLength(1);
    const uncached = await build(['dummy-a', 'dummy-f']);
    expect(changed.archive).toBe(uncached.archive);
    expect(changed.archive).not.toBe(first.archive);
  });

  it('bytes changed on disk are found by their digest: the layer is built again, the archive is the same', { timeout: 60_000 }, async () => {
    const { cache, records, root } = folderCache('corrupt');
    const first = await build(['dummy-a'], cache);
    const [key] = await records.keys();
    const { digest } = JSON.parse((await records.read(key))!) as { digest: Digest };
    const path = join(root, 'blobs', 'sha256', digestHex(digest));
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(path, bytes);
    const again = await build(['dummy-a'], cache);
    expect(again.sources.filter((s) => s === 'built')).toHaveLength(1);
    expect(again.archive).toBe(first.archive);
    // stored again, whole
    expect(await getVerified(folderBlobStore(join(root, 'blobs')), digest)).toBeDefined();
  });

  it('written into a file, a cached layer is hashed as it is written: bytes changed on disk are written over with the layer built again', { timeout: 60_000 }, async () => {
    const { cache, records, root } = folderCache('corrupt-file');
    const first = await build(['dummy-a', 'dummy-b'], cache);
    const keys = await records.keys();
    const { digest } = JSON.parse((await records.read(keys[1]))!) as { digest: Digest };
    const path = join(root, 'blobs', 'sha256', digestHex(digest));
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
    const intact = await build(['dummy-a', 'dummy-b'], cache, { toFile: join(root, 'intact.tar') });
    // the damaged layer was written, found wrong at its end, built again and written over: same archive
    expect(intact.built).toBe(1);
    expect(intact.archive).toBe(first.archive);
    expect(await getVerified(folderBlobStore(join(root, 'blobs')), digest)).toBeDefined();
    // every layer from the cache again, hashed as it is written
    const again = await build(['dummy-a', 'dummy-b'], cache, { toFile: join(root, 'again.tar') });
    expect(again.built).toBe(0);
    expect(again.archive).toBe(first.archive);
  });

  it('a layer made with its pieces\' digests is checked piece by piece: a changed piece is built again and written over, as a changed digest is; a record without them is hashed whole', { timeout: 60_000 }, async () => {
    const { cache, records, root } = folderCache('pieces');
    // a layer's tar stored as it is made, with its pieces' digests (as the browser's layer workers make them)
    const runner = oneAtATime((job) => runLayerJob(job, { tarSink: (tar) => new Response(tar).blob() }));
    const first = await build(['dummy-a', 'dummy-b'], cache, { runner });
    const keys = await records.keys();
    const recordOf = async (k: string) => JSON.parse((await records.read(k))!) as { digest: Digest; size: number; pieces?: PieceDigests };
    for (const k of keys) {
      const r = await recordOf(k);
      expect(r.pieces?.pieceBytes).toBe(PIECE_BYTES);
      expect(r.pieces?.digests).toHaveLength(Math.ceil(r.size / PIECE_BYTES));
      const tar = readFileSync(join(root, 'blobs', 'sha256', digestHex(r.digest)));
      expect(r.pieces?.digests[0]).toBe(createHash('sha256').update(tar.subarray(0, PIECE_BYTES)).digest('hex'));
    }
    // the same archive as a build without the cache
    expect(first.archive).toBe((await build(['dummy-a', 'dummy-b'])).archive);

    // a changed byte in a tar: found by its piece as it is written (and as it is read before a stream gives it out)
    const { digest } = await recordOf(keys[1]);
    const path = join(root, 'blobs', 'sha256', digestHex(digest));
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
    const toFile = await build(['dummy-a', 'dummy-b'], cache, { runner, toFile: join(root, 'pieces.tar') });
    expect(toFile.built).toBe(1);
    expect(toFile.archive).toBe(first.archive);
    expect(await getVerified(folderBlobStore(join(root, 'blobs')), digest)).toBeDefined();
    expect((await recordOf(keys[1])).pieces).toBeDefined();
    // changed again, read whole before a stream gives it out
    writeFileSync(path, bytes);
    const streamed = await build(['dummy-a', 'dummy-b'], cache, { runner });
    expect(streamed.built).toBe(1);
    expect(streamed.archive).toBe(first.archive);
    expect(await getVerified(folderBlobStore(join(root, 'blobs')), digest)).toBeDefined();

    // intact bytes whose recorded piece digest is not theirs: taken as a changed piece, never as good
    const [k0] = keys;
    const r0 = await recordOf(k0);
    expect(r0.pieces).toBeDefined();
    await records.write(k0, JSON.stringify({ ...r0, pieces: { ...r0.pieces!, digests: ['0'.repeat(64)] } }));
    const wrongRecord = await build(['dummy-a', 'dummy-b'], cache, { runner, toFile: join(root, 'pieces-record.tar') });
    expect(wrongRecord.built).toBe(1);
    expect(wrongRecord.archive).toBe(first.archive);
    // built again with its pieces, and recorded with the right ones
    expect((await recordOf(k0)).pieces).toEqual(r0.pieces);

    // a record written before pieces were kept: the tar is hashed whole, taken from the cache
    const { pieces: _dropped, ...old } = await recordOf(k0);
    await records.write(k0, JSON.stringify(old));
    const fromOld = await build(['dummy-a', 'dummy-b'], cache, { toFile: join(root, 'pieces-old.tar') });
    expect(fromOld.built).toBe(0);
    expect(fromOld.archive).toBe(first.archive);
  });

  it('a build cancelled mid-way leaves only entries whose bytes are whole and verified', { timeout: 60_000 }, async () => {
    const { cache: inner, records, blobs, root } = folderCache('cancel');
    // a layer finished before the cancel may still be being stored when the build rejects: wait for those
    // writes to settle, then nothing partial may remain
    const writes: Promise<void>[] = [];
    const cache: LayerCache = { get: (k, o) => inner.get(k, o), forget: (k) => inner.forget(k), put: (k, l) => { const w = inner.put(k, l); writes.push(w.catch(() => {})); return w; } };
    const stop = new AbortController();
    let n = 0;
    // the second job is cancelled while it runs; the first finished and is stored
    const runner: LayerRunner = async (job, signal) => {
      if (++n === 2) { stop.abort(new Error('cancelled by the user')); signal?.throwIfAborted(); }
      return runLayerJob(job);
    };
    await expect(build(['dummy-a', 'dummy-b'], cache, { runner: oneAtATime(runner), signal: stop.signal })).rejects.toThrow();
    await Promise.all(writes);
    const keys = await records.keys();
    expect(keys.length).toBeLessThan(3);
    for (const k of keys) {
      const r = JSON.parse((await records.read(k))!) as { digest: Digest; format: number };
      expect(r.format).toBe(LAYER_FORMAT_VERSION);
      expect(await getVerified(blobs, r.digest)).toBeDefined();
    }
    expect(readdirSync(join(root, 'blobs', 'sha256')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(join(root, 'layers')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a store whose writes exceed the quota: the build finishes uncached with one warning', { timeout: 60_000 }, async () => {
    const records = folderRecordStore(join(dir, 'quota-layers'));
    const full: BlobStore = {
      ...memoryBlobStore(),
      put: async (_d, s) => { await s.cancel(); throw new DOMException('the quota has been exceeded', 'QuotaExceededError'); },
    };
    const r = await build(['dummy-a', 'dummy-b'], layerCache(full, records));
    expect(r.sources).toEqual(['built', 'built', 'built']);
    expect(r.warnings.filter((w) => /layer cache: the storage quota is exceeded/.test(w))).toHaveLength(1);
    expect(await records.keys()).toEqual([]);
    expect(r.archive).toBe((await build(['dummy-a', 'dummy-b'])).archive);
  });
});
