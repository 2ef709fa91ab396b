/** Damaged and hostile input: precise errors, never a hang; GNU tar decides what is an error. */
import { describe, expect, it } from 'vitest';
import { TarError } from '../errors';
import { gnuList } from './gnu-oracle.node';
import { indexTar, readTar, writeTar, type TarWarning } from './index';

const enc = new TextEncoder();
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

async function both(bytes: Uint8Array, chunk = 97) {
  const warnings: TarWarning[] = [];
  const viaIndex = await indexTar(new Blob([bytes.slice()])).catch((e: unknown) => e);
  const viaReader = await (async () => {
    let at = 0;
    const s = new ReadableStream<Uint8Array>({ pull(c) { if (at >= bytes.length) c.close(); else { c.enqueue(bytes.slice(at, at += chunk)); } } });
    const names: string[] = [];
    for await (const { entry } of readTar(s, { onWarning: (w) => warnings.push(w) })) names.push(entry.name);
    return names;
  })().catch((e: unknown) => e);
  return { viaIndex, viaReader, warnings };
}

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) & 0xff);
}

describe('damaged input', () => {
  it('0 bytes: tar-corrupt, as GNU tar fails ("does not look like a tar archive")', async () => {
    expect(gnuList(new Uint8Array(0)).status).toBe(2);
    const { viaIndex, viaReader } = await both(new Uint8Array(0));
    expect(viaIndex).toMatchObject({ code: 'tar-corrupt', offset: 0 });
    expect(viaReader).toMatchObject({ code: 'tar-corrupt' });
  });

  it('an empty archive (1024 zero bytes) has no entries and no warnings', async () => {
    expect(await indexTar(new Blob([new Uint8Array(1024)]))).toEqual({ entries: [], warnings: [], size: 1024 });
  });

  it('random bytes: a TarError, like GNU tar, for many seeds', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = rng(seed);
      const bytes = Uint8Array.from({ length: 700 + seed * 97 }, next);
      expect(gnuList(bytes).status).not.toBe(0);
      const { viaIndex, viaReader } = await both(bytes);
      expect(viaIndex).toBeInstanceOf(TarError);
      expect(viaReader).toBeInstanceOf(TarError);
    }
  });

  it('truncation at any block and inside blocks: we throw exactly where GNU tar fails', async () => {
    const tar = await bytesOf(writeTar([
      { name: 'a.txt', type: 'file', body: enc.encode('x'.repeat(1500)) },
      { name: `${'long/'.repeat(30)}b`, type: 'file', body: enc.encode('yy') },
      { name: 'd', type: 'directory' },
    ]));
    const cuts = new Set<number>();
    for (let i = 0; i <= tar.length; i += 512) [i, i + 1, i + 300].filter((c) => c > 0 && c < tar.length).forEach((c) => cuts.add(c));
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const bytes = tar.slice(0, cut);
      const gnu = gnuList(bytes);
      const { viaIndex, viaReader, warnings } = await both(bytes);
      if (gnu.status === 0) {
        expect(viaIndex, `cut at ${cut}`).not.toBeInstanceOf(Error);
        expect(viaReader).not.toBeInstanceOf(Error);
        expect(warnings.map((w) => w.code)).toContain('missing-end-marker');
      } else {
        const code = cut < 512 ? 'tar-corrupt' : 'tar-truncated'; // less than a header: "not a tar archive"
        expect(viaIndex, `cut at ${cut}: GNU says ${gnu.stderr.join('; ')}`).toMatchObject({ code });
        expect(viaReader).toMatchObject({ code });
        expect((viaIndex as TarError).offset).toBeLessThanOrEqual(cut);
      }
    }
  });

  it('a bad checksum is tar-corrupt at that header', async () => {
    const tar = await bytesOf(writeTar([{ name: 'a', type: 'file', body: enc.encode('1') }, { name: 'b', type: 'file' }]));
    tar[1024 + 10] ^= 0x55; // inside the second header's name
    expect(gnuList(tar).status).toBe(2);
    const { viaIndex, viaReader } = await both(tar);
    expect(viaIndex).toMatchObject({ code: 'tar-corrupt', offset: 1024 });
    expect(viaReader).toMatchObject({ code: 'tar-corrupt', offset: 1024 });
  });

  it('hostile sizes end in an error, not a hang or a huge allocation', async () => {
    const [hdr] = [await bytesOf(writeTar([{ name: 'x', type: 'file' }]))];
    const withSize = (field: number[]) => {
      const h = hdr.slice(0, 512);
      h.set(field, 124);
      h.fill(0x20, 148, 156);
      const sum = h.reduce((a, b) => a + b, 0);
      h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0'), 148);
      return h;
    };
    const huge = withSize([0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // base-256, > 2^53
    expect((await both(huge)).viaIndex).toMatchObject({ code: 'tar-corrupt' });
    const negative = withSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect((await both(negative)).viaIndex).toMatchObject({ code: 'tar-corrupt' });
    const bigOctal = withSize([...enc.encode('77777777777'), 0]); // 8 GiB declared, nothing there
    expect((await both(bigOctal)).viaIndex).toMatchObject({ code: 'tar-truncated' });
    const paxHuge = await bytesOf(writeTar([{ name: 'p', type: 'file', pax: { size: '1'.repeat(30) } }]));
    expect((await both(paxHuge)).viaIndex).toMatchObject({ code: 'tar-corrupt' });
    const bigExt = withSize([...enc.encode('00777777777'), 0]);
    bigExt[156] = 'x'.charCodeAt(0);
    bigExt.fill(0x20, 148, 156);
    bigExt.set(enc.encode(bigExt.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0') + '\0'), 148);
    expect((await both(bigExt)).viaIndex).toMatchObject({ code: 'tar-corrupt' }); // 128 MiB PAX header refused
  });
});

describe('readTar streaming', () => {
  it('streams a body without buffering it, pulling the source only on demand', async () => {
    const body = new Uint8Array(8 << 20);
    const tar = await bytesOf(writeTar([{ name: 'big', type: 'file', body }, { name: 'after', type: 'file', body: enc.encode('ok') }]));
    let pulled = 0;
    let at = 0;
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        if (at >= tar.length) c.close();
        else c.enqueue(tar.subarray(at, (at += 64 * 1024)));
      },
    }, { highWaterMark: 0 });
    const it = readTar(src)[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    const reader = first.body.getReader();
    await reader.read();
    await reader.read();
    expect(pulled).toBeLessThanOrEqual(4); // header + two body chunks, not 8 MiB
    reader.releaseLock();
    const second = (await it.next()).value!; // the rest of 'big' is skipped
    expect(second.entry.name).toBe('after');
    expect(await new Response(second.body).text()).toBe('ok');
    await expect(first.body.getReader().read()).rejects.toThrow(/after the reader moved/);
    expect((await it.next()).done).toBe(true);
  });

  it('stops on abort', async () => {
    const tar = await bytesOf(writeTar([{ name: 'a', type: 'file' }, { name: 'b', type: 'file' }]));
    const ac = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const { entry } of readTar(new Blob([tar]).stream(), { signal: ac.signal })) {
        seen.push(entry.name);
        ac.abort();
      }
    })();
    await expect(run).rejects.toThrow();
    expect(seen).toEqual(['a']);
    await expect(indexTar(new Blob([tar]), { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
