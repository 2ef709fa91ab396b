/**
 * indexTar's Blob reading: one reused buffer filled from the Blob's stream, gaps read through or jumped
 * over by a new stream. Whatever the layout (headers across the buffer's end, bodies just under and over
 * the read-through limit, extension headers larger than half the buffer), the entries equal those of the
 * in-memory walk, whatever the stream's chunk sizes.
 */
import { describe, expect, it } from 'vitest';
import { indexTar, indexTarBytes, walkBlobTar, writeTar, type TarEntry, type TarWarning, type TarWriteEntry } from './index';
import { ChunkBlob } from '../../test-support/chunk-blob';

const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

/** Sizes that put headers everywhere relative to a 1 MiB buffer and a 256 KiB read-through limit. */
function* layout(): Generator<TarWriteEntry> {
  const sizes = [0, 1, 511, 512, 513, 100_000, 262_143, 262_144, 262_145, 300_000, 1_048_000, 1_048_576, 1_049_000, 3_000_000, 7];
  let i = 0;
  for (let round = 0; round < 3; round++) {
    for (const size of sizes) {
      // some long names (PAX headers) and one extension header bigger than half the buffer
      const name = i % 5 === 0 ? `dir/${'long-'.repeat(40)}${i}` : `dir/f${i}`;
      const e: TarWriteEntry = { name, type: 'file', body: new Uint8Array(size).fill(i & 0xff), mtime: 1_700_000_000 };
      if (i === 17) e.pax = { 'SCHILY.xattr.user.big': 'x'.repeat(600_000) };
      yield e;
      i++;
    }
    yield { name: `dir/d${round}/`, type: 'directory' };
    yield { name: `dir/l${round}`, type: 'symlink', linkname: 'f1' };
  }
}

describe('indexTar over a Blob', () => {
  it('gives the in-memory walk\'s entries whatever the gaps and buffer boundaries', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const expected = await indexTarBytes(bytes);
    expect(expected.entries.length).toBe(51);
    const got = await indexTar(new Blob([bytes]));
    expect(got).toEqual(expected);
    expect(got.entries.find((e) => e.pax?.['SCHILY.xattr.user.big'])?.pax?.['SCHILY.xattr.user.big'].length).toBe(600_000);
  });

  it('gives the same entries for several chunk sizes of the Blob\'s stream', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const expected = await indexTarBytes(bytes);
    for (const chunk of [333, 65_536, 2_000_000]) {
      expect(await indexTar(new ChunkBlob(bytes, chunk))).toEqual(expected);
    }
  });

  it('a walk that does not keep name bytes gives the same entries, each name\'s bytes right while it is the current entry', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const expected = await indexTarBytes(bytes);
    for (const chunk of [333, 2_000_000]) {
      const seen: TarEntry[] = [];
      const walk = walkBlobTar(new ChunkBlob(bytes, chunk), () => {}, { keepNameBytes: false });
      for await (const e of walk) seen.push({ ...e, nameBytes: e.nameBytes.slice() });
      expect(seen).toEqual(expected.entries);
    }
  });

  it('reports a truncated body after a jump as the in-memory walk does', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const cut = bytes.subarray(0, 2_500_000);
    const want = await indexTarBytes(cut).catch((e: unknown) => e);
    const got = await indexTar(new Blob([cut])).catch((e: unknown) => e);
    expect(want).toMatchObject({ code: 'tar-truncated' });
    expect(got).toEqual(want);
  });

  it('goes on from the same offset with a default reader when a BYOB read never settles', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const expected = await indexTarBytes(bytes);
    const blob = new StallingBlob(bytes, 3);
    const entries: TarEntry[] = [];
    const warnings: TarWarning[] = [];
    const walk = walkBlobTar(blob, (w) => warnings.push(w), { stallMs: 50 });
    for (let r = await walk.next(); ; r = await walk.next()) {
      if (r.done) { expect(r.value).toBe(expected.size); break; }
      entries.push(r.value);
    }
    expect({ entries, warnings }).toEqual({ entries: expected.entries, warnings: expected.warnings });
    // the stalled stream was read by BYOB, and every stream opened after it by a default reader
    expect(blob.byobReaders).toBeGreaterThanOrEqual(1);
    expect(blob.stalled).toBe(1);
    expect(blob.readersAfterStall.length).toBeGreaterThan(0);
    expect(blob.readersAfterStall.every((m) => m === 'default')).toBe(true);
  });
});

/** A Blob of byte streams (BYOB readers allowed) whose `stallAt`-th BYOB read never settles. */
class StallingBlob extends Blob {
  byobReaders = 0;
  stalled = 0;
  readersAfterStall: string[] = [];
  private byobReads = 0;
  constructor(private readonly data: Uint8Array<ArrayBuffer>, private readonly stallAt: number, private readonly root: StallingBlob | undefined = undefined) { super([data]); }
  override slice(start = 0, end = this.data.length): Blob {
    return new StallingBlob(this.data.subarray(start, end), this.stallAt, this.root ?? this);
  }
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const root = this.root ?? this;
    const bytes = this.data;
    let at = 0;
    const stream = new ReadableStream({
      type: 'bytes',
      pull(c) {
        const req = c.byobRequest;
        if (req?.view) {
          if (++root.byobReads === root.stallAt) { root.stalled++; return new Promise<void>(() => {}); }
          if (at >= bytes.length) { c.close(); req.respond(0); return; }
          const n = Math.min(req.view.byteLength, bytes.length - at, 100_000);
          new Uint8Array(req.view.buffer, req.view.byteOffset, n).set(bytes.subarray(at, at + n));
          at += n;
          req.respond(n);
        } else if (at >= bytes.length) c.close();
        else c.enqueue(bytes.slice(at, (at += 100_000)));
      },
    });
    const getReader = stream.getReader.bind(stream) as (o?: { mode?: 'byob' }) => ReadableStreamDefaultReader | ReadableStreamBYOBReader;
    Object.assign(stream, {
      getReader: (o?: { mode?: 'byob' }) => {
        if (root.stalled) root.readersAfterStall.push(o?.mode ?? 'default');
        else if (o?.mode === 'byob') root.byobReaders++;
        return getReader(o);
      },
    });
    return stream as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}
