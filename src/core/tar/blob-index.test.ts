/**
 * indexTar's Blob reading: one reused buffer filled from the Blob's stream, gaps read through or jumped
 * over by a new stream. Whatever the layout (headers across the buffer's end, bodies just under and over
 * the read-through limit, extension headers larger than half the buffer), the entries equal those of the
 * in-memory walk, whatever the stream's chunk sizes.
 */
import { describe, expect, it } from 'vitest';
import { indexTar, indexTarBytes, writeTar, type TarWriteEntry } from './index';

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

/** A Blob whose stream gives chunks of a chosen size (odd ones, tiny ones, ones larger than the buffer). */
class ChunkBlob extends Blob {
  constructor(private readonly data: Uint8Array<ArrayBuffer>, private readonly chunk: number) { super([data]); }
  override slice(start = 0, end = this.data.length): Blob {
    return new ChunkBlob(this.data.subarray(start, end), this.chunk);
  }
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let at = 0;
    const bytes = this.data;
    const chunk = this.chunk;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(c) {
        if (at >= bytes.length) c.close();
        else c.enqueue(bytes.slice(at, (at += chunk)));
      },
    });
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

  it('reports a truncated body after a jump as the in-memory walk does', async () => {
    const bytes = await bytesOf(writeTar(layout()));
    const cut = bytes.subarray(0, 2_500_000);
    const want = await indexTarBytes(cut).catch((e: unknown) => e);
    const got = await indexTar(new Blob([cut])).catch((e: unknown) => e);
    expect(want).toMatchObject({ code: 'tar-truncated' });
    expect(got).toEqual(want);
  });
});
