/**
 * Repodata with nulls, as real channels publish it (mamba's test data: conda-forge records with `"depends": null`
 * and `"constrains": null`), solved by the real solver: nulls count as empty, as conda and mamba take them, in
 * flat JSON (plain, .zst, .bz2) and in CEP-16 shards; a record that cannot be read at all is left out with a
 * warning naming the channel, subdir and file. Served over HTTP on loopback.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { encode } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawZstdFrame } from '../conda/repodata-shard';
import { cachingFetch } from '../conda/repodata-cache';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { serveFolder, type FolderServer } from '../../test-support/serve-folder';
import { solve } from './rattler';

const enc = new TextEncoder();
const sha256 = async (b: Uint8Array) => Buffer.from(await crypto.subtle.digest('SHA-256', b as BufferSource)).toString('hex');

describe.skipIf(!haveFixtures)('repodata with nulls and unreadable records', () => {
  let srv: FolderServer;
  const extra: Record<string, string | Uint8Array> = {};
  const empty = JSON.stringify({ info: { subdir: 'noarch' }, packages: {} });
  beforeAll(async () => {
    const text = readFileSync(fixture('mamba/libmamba/tests/data/repodata/conda-forge-repodata-version-2-missing-base_url.json'), 'utf8');
    const doc = JSON.parse(text) as { packages: Record<string, Record<string, unknown>> };
    // the same records, plus one that is unreadable however it is taken (its depends is a string)
    doc.packages['broken-1.0-0.tar.bz2'] = { name: 'broken', version: '1.0', build: '0', build_number: 0, depends: 'libfoo', subdir: 'linux-64', sha256: 'b'.repeat(64) };
    const withBroken = JSON.stringify(doc);
    for (const ch of ['json', 'zst', 'bz2', 'broken']) extra[`/${ch}/noarch/repodata.json`] = empty;
    extra['/json/linux-64/repodata.json'] = text;
    extra['/zst/linux-64/repodata.json.zst'] = rawZstdFrame(enc.encode(text));
    extra['/bz2/linux-64/repodata.json.bz2'] = new Uint8Array(execFileSync('bzip2', ['-c'], { input: text }));
    extra['/broken/linux-64/repodata.json'] = withBroken;
    // a CEP-16 sharded channel with the same null record
    const shard = rawZstdFrame(encode({ packages: { '_libgcc_mutex-0.1-conda_forge.tar.bz2': { ...doc.packages['_libgcc_mutex-0.1-conda_forge.tar.bz2'], sha256: undefined, md5: undefined } }, 'packages.conda': {} }, { ignoreUndefined: true }));
    const shardSha = await sha256(shard);
    extra['/sharded/linux-64/repodata_shards.msgpack.zst'] = rawZstdFrame(encode({ info: { base_url: '', shards_base_url: '', subdir: 'linux-64' }, version: 1, shards: { _libgcc_mutex: Buffer.from(shardSha, 'hex') } }));
    extra[`/sharded/linux-64/${shardSha}.msgpack.zst`] = shard;
    extra['/sharded/noarch/repodata_shards.msgpack.zst'] = rawZstdFrame(encode({ info: { base_url: '', shards_base_url: '', subdir: 'noarch' }, version: 1, shards: {} }));
    srv = await serveFolder(fixture('.'), extra);
  });
  afterAll(() => srv?.close());

  for (const ch of ['json', 'zst', 'bz2', 'sharded']) {
    it(`"depends": null and "constrains": null count as empty (${ch})`, async () => {
      const warnings: string[] = [];
      const r = await solve({ specs: ['_libgcc_mutex'], channels: [`${srv.base}/${ch}`], subdir: 'linux-64', onWarning: (w) => warnings.push(w) });
      expect(r.map((p) => `${p.name}-${p.version}-${p.build}`)).toEqual(['_libgcc_mutex-0.1-conda_forge']);
      expect(r[0].depends).toEqual([]);
      expect(warnings).toEqual([]);
    });
  }

  it('through the caching fetch the builds use, the same', async () => {
    const r = await solve({ specs: ['_libgcc_mutex'], channels: [`${srv.base}/zst`], subdir: 'linux-64', fetch: cachingFetch(globalThis.fetch) });
    expect(r.map((p) => p.fn)).toEqual(['_libgcc_mutex-0.1-conda_forge.tar.bz2']);
  });

  it('an unreadable record is left out with a warning naming channel, subdir and file; the rest solves', async () => {
    const warnings: string[] = [];
    const r = await solve({ specs: ['_libgcc_mutex'], channels: [`${srv.base}/broken`], subdir: 'linux-64', onWarning: (w) => warnings.push(w) });
    expect(r.map((p) => p.name)).toEqual(['_libgcc_mutex']);
    expect(warnings).toEqual([`channel ${srv.base}/broken/, subdir linux-64, file repodata.json: record broken-1.0-0.tar.bz2 cannot be read (its depends is not a list of strings); skipped`]);
    await expect(solve({ specs: ['broken'], channels: [`${srv.base}/broken`], subdir: 'linux-64' })).rejects.toMatchObject({ code: 'solve-failed', message: expect.stringMatching(/broken/) });
  });
});
