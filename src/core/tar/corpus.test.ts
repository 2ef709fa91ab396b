/**
 * Every tar of the shared fixtures' tar corpora, read by indexTar and by readTar (odd chunkings), compared
 * with GNU tar's own listing of the same bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { TarError } from '../errors';
import { entryBlob, indexTar, readTar, type TarEntry, type TarWarning } from './index';
import { gnuList, toRow } from './gnu-oracle.node';

const DIRS = ['tar-rs/tests/archives', 'tar-split/archive/tar/testdata', 'tar-split/tar/asm/testdata', 'conda/tests/data/tar_traversal'];

/**
 * Where we legitimately differ from GNU tar, with the reason. `throws`: GNU tar exits 2 there, and we throw
 * this code rather than list a partial archive.
 */
const EXPECT: Record<string, { throws: 'tar-corrupt' | 'tar-truncated'; reason: string }> = {
  'issue10968.tar': { throws: 'tar-corrupt', reason: 'first header has a bad checksum ("does not look like a tar archive")' },
  'issue12435.tar': { throws: 'tar-corrupt', reason: 'garbage in a numeric field ("where numeric off_t value expected")' },
  'neg-size.tar': { throws: 'tar-corrupt', reason: 'size field is garbage' },
  'issue11169.tar': { throws: 'tar-truncated', reason: 'GNU: "Unexpected EOF in archive"' },
  'pax-bad-hdr-file.tar': { throws: 'tar-corrupt', reason: 'GNU: "Malformed extended header: missing newline", exit 2' },
  'pax-nul-xattrs.tar': { throws: 'tar-corrupt', reason: 'GNU: "Malformed extended header: missing equal sign", exit 2' },
  'hdr-only.tar': { throws: 'tar-corrupt', reason: 'GNU: "Skipping to next header" on a damaged header, exit 2 (GNU goes on listing; we stop)' },
  'writer-big.tar': { throws: 'tar-truncated', reason: '16 GiB body declared, file is cut short (GNU: seek error, exit 2)' },
  'writer-big-long.tar': { throws: 'tar-truncated', reason: 'as writer-big.tar' },
};

/** GNU tar stderr (exit 0) → the warning code we must report. */
const GNU_WARNINGS: [RegExp, string][] = [
  [/Substituting `\.' for empty member name/, 'empty-name'],
  [/Removing leading `.*' from member names/, 'unsafe-path'],
  [/Ignoring unknown extended header keyword/, 'unknown-pax-keyword'],
  [/A lone zero block/, 'missing-end-marker'],
];
/**
 * Warnings we give where GNU tar is silent: a missing end marker and non-UTF-8 names (asked for by design),
 * and a PAX number with trailing garbage (pax-bad-mtime-file.tar: GNU silently uses the numeric prefix).
 */
const EXTRA_OK = new Set(['missing-end-marker', 'non-utf8-name', 'bad-pax-number']);

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  }, { highWaterMark: 0 });
}

async function viaReader(bytes: Uint8Array, chunk: number, readBodies: boolean) {
  const entries: TarEntry[] = [];
  const warnings: TarWarning[] = [];
  const bodies: Uint8Array[] = [];
  for await (const { entry, body } of readTar(chunked(bytes, chunk), { onWarning: (w) => warnings.push(w) })) {
    entries.push(entry);
    if (readBodies) bodies.push(new Uint8Array(await new Response(body).arrayBuffer()));
  }
  return { entries, warnings, bodies };
}

const files = haveFixtures
  ? DIRS.flatMap((d) => readdirSync(fixture(d)).filter((f) => /\.tar(\.gz)?$/.test(f)).map((f) => `${d}/${f}`))
  : [];

describe.skipIf(!haveFixtures)('tar corpora vs GNU tar', () => {
  it('finds the corpora', () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it.each(files)('%s', async (rel) => {
    const raw = new Uint8Array(readFileSync(fixture(rel)));
    const bytes = rel.endsWith('.gz') ? new Uint8Array(gunzipSync(raw)) : raw;
    const base = rel.split('/').pop()!;
    const gnu = gnuList(bytes);
    const expected = EXPECT[base];
    if (expected || gnu.status !== 0) {
      expect(expected, `GNU tar exits ${gnu.status} on ${base} (${gnu.stderr.join('; ')}): add it to EXPECT`).toBeDefined();
      expect(gnu.status).not.toBe(0);
      const err = await indexTar(new Blob([bytes])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TarError);
      expect((err as TarError).code).toBe(expected.throws);
      const err2 = await viaReader(bytes, 7, true).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(TarError);
      expect((err2 as TarError).code).toBe(expected.throws);
      return;
    }
    const index = await indexTar(new Blob([bytes]));
    const ours = index.entries.map(toRow);
    const theirs = gnu.rows.map((r) => ({ ...r, frac: '' }));
    expect(ours).toEqual(theirs);
    gnu.rows.forEach((r, i) => {
      const frac = index.entries[i].mtime - Math.floor(index.entries[i].mtime);
      expect(Math.abs(frac - Number(`0.${r.frac || '0'}`))).toBeLessThan(1e-6);
    });
    // warnings: each GNU warning maps to one of ours; ours beyond that only where GNU is silent by design
    const required = new Set<string>();
    for (const line of gnu.stderr) {
      const hit = GNU_WARNINGS.find(([re]) => re.test(line));
      expect(hit, `unmapped GNU tar warning: ${line}`).toBeDefined();
      required.add(hit![1]);
    }
    const codes = new Set(index.warnings.map((w) => w.code));
    for (const c of required) expect(codes).toContain(c);
    for (const c of codes) if (!required.has(c)) expect(EXTRA_OK).toContain(c);
    // readTar gives the same entries and warnings under 1-byte (small archives) and odd chunkings
    const small = bytes.length <= 64 * 1024;
    const read = await viaReader(bytes, small ? 1 : 4093, true);
    expect(read.entries).toEqual(index.entries);
    expect(read.warnings).toEqual(index.warnings);
    if (small) expect((await viaReader(bytes, 511, false)).entries).toEqual(index.entries);
    // streamed bodies equal the Blob slices of the index
    const blob = new Blob([bytes]);
    for (let i = 0; i < index.entries.length; i++) {
      const slice = new Uint8Array(await entryBlob(blob, index.entries[i]).arrayBuffer());
      expect(Buffer.from(read.bodies[i]).equals(Buffer.from(slice))).toBe(true);
    }
    expect(index.size).toBeLessThanOrEqual(bytes.length);
  });
});
