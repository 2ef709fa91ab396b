/**
 * scanBlobTar (a callback per entry, headers parsed without a promise while they are buffered) against
 * indexTar (the generator walk): the same entries, warnings, size and errors over the shared tar corpora,
 * every truncation of a small archive, random bytes, and archives whose headers sit anywhere relative to
 * the read buffer, read in odd chunk sizes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { indexTar, scanBlobTar, writeTar, type TarEntry, type TarWarning, type TarWriteEntry } from './index';
import { ChunkBlob } from '../../test-support/chunk-blob';

const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

type Outcome = { entries: TarEntry[]; warnings: TarWarning[]; size: number } | { error: unknown };

async function viaIndex(blob: Blob): Promise<Outcome> {
  try {
    return await indexTar(blob);
  } catch (error) {
    return { error };
  }
}

/** scanBlobTar's outcome; with `keepNameBytes` false each name's bytes are copied while the entry is current. */
async function viaScan(blob: Blob, keepNameBytes: boolean): Promise<Outcome> {
  const entries: TarEntry[] = [];
  const warnings: TarWarning[] = [];
  try {
    const size = await scanBlobTar(blob, (w) => warnings.push(w), (e) => entries.push(keepNameBytes ? e : { ...e, nameBytes: e.nameBytes.slice() }), { keepNameBytes });
    return { entries, warnings, size };
  } catch (error) {
    return { error };
  }
}

async function expectSame(bytes: Uint8Array<ArrayBuffer>, what: string, chunks = [1 << 16]): Promise<Outcome> {
  const want = await viaIndex(new Blob([bytes]));
  for (const chunk of chunks) {
    for (const keep of [true, false]) {
      expect(await viaScan(new ChunkBlob(bytes, chunk), keep), `${what}, chunks of ${chunk}, keepNameBytes ${keep}`).toEqual(want);
    }
  }
  return want;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
}

/** Entries of many kinds, long names (GNU and PAX), global PAX records, and bodies around the buffer's sizes. */
function* mixed(): Generator<TarWriteEntry> {
  const sizes = [0, 1, 511, 512, 513, 100_000, 262_144, 262_145, 1_048_576, 1_049_000, 7];
  let i = 0;
  for (let round = 0; round < 2; round++) {
    for (const size of sizes) {
      const name = i % 4 === 0 ? `dir/${'long-'.repeat(40)}${i}` : i % 7 === 0 ? `/abs/f${i}` : i % 9 === 0 ? `dir/../up${i}` : `dir/f${i}`;
      const e: TarWriteEntry = { name, type: 'file', body: new Uint8Array(size).fill(i & 0xff), mtime: 1_700_000_000 + i, uid: i % 5 === 0 ? 2 ** 40 : i };
      if (i === 5) e.pax = { 'SCHILY.xattr.user.a': 'b' };
      yield e;
      i++;
    }
    yield { name: `dir/d${round}/`, type: 'directory' };
    yield { name: `dir/l${round}`, type: 'symlink', linkname: `${'t/'.repeat(60)}f1` };
    yield { name: `dir/h${round}`, type: 'hardlink', linkname: 'dir/f1' };
    yield { name: `dir/é${round}`, type: 'file', body: new Uint8Array(3) };
  }
}

describe('scanBlobTar', () => {
  it('gives indexTar\'s entries, warnings and size over archives of every kind of entry, in odd chunk sizes', async () => {
    const bytes = await bytesOf(writeTar(mixed()));
    const want = await expectSame(bytes, 'mixed', [333, 65_536, 2_000_000]);
    expect('entries' in want && want.entries.length).toBeGreaterThan(20);
  });

  it('fails as indexTar does at every truncation and on random bytes', async () => {
    const tar = await bytesOf(writeTar([
      { name: 'a.txt', type: 'file', body: new Uint8Array(1500).fill(120) },
      { name: `${'long/'.repeat(30)}b`, type: 'file', body: new Uint8Array(2) },
      { name: 'd', type: 'directory' },
    ]));
    for (let cut = 1; cut < tar.length; cut += cut % 512 === 0 ? 1 : cut % 512 === 1 ? 299 : 212) {
      await expectSame(tar.slice(0, cut), `cut at ${cut}`);
    }
    for (let seed = 1; seed <= 20; seed++) {
      const next = rng(seed);
      const want = await expectSame(Uint8Array.from({ length: 700 + seed * 97 }, next), `random bytes, seed ${seed}`);
      expect(want).toHaveProperty('error');
    }
  });

  const DIRS = ['tar-rs/tests/archives', 'tar-split/archive/tar/testdata', 'tar-split/tar/asm/testdata', 'conda/tests/data/tar_traversal'];
  const files = haveFixtures ? DIRS.flatMap((d) => readdirSync(fixture(d)).filter((f) => /\.tar(\.gz)?$/.test(f)).map((f) => `${d}/${f}`)) : [];
  it.skipIf(!haveFixtures)('gives indexTar\'s outcome on every tar of the shared corpora', async () => {
    expect(files.length).toBeGreaterThan(60);
    for (const rel of files) {
      const raw = readFileSync(fixture(rel));
      const bytes = new Uint8Array(rel.endsWith('.gz') ? gunzipSync(raw) : raw);
      if (bytes.length > 64 << 20) continue; // the sparse giants: indexTar's own corpus test covers them
      await expectSame(bytes, rel, [512, 1 << 20]);
    }
  });
});
