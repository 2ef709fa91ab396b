import type { Gunzip } from 'fflate';

/**
 * A gunzip TransformStream on fflate, for runtimes without DecompressionStream. fflate decodes
 * every member of a multi-member gzip but does not check the 8-byte trailer (CRC-32 and ISIZE,
 * RFC 1952 §2.3.1) and ends silently on some truncated inputs; this checks each member's trailer
 * against the bytes it produced, so a truncated or corrupted blob errors instead.
 */
export function fflateGunzipStream(): TransformStream<Uint8Array, Uint8Array> {
  let crc = 0xffffffff;
  let memberBytes = 0;
  let totalIn = 0;
  let sawInput = false;
  /** the most recent input chunks (compressed), at least TAIL bytes of them, with their start offsets */
  const recent: Array<{ start: number; bytes: Uint8Array }> = [];
  let g: Gunzip;

  /** checks the member that just ended against the trailer stored at [end - 8, end) of the input */
  const checkTrailer = (end: number): void => {
    const t = bytesAt(recent, end - 8, 8);
    if (!t) return; // the trailer scrolled out of the window (a huge next header): cannot check
    const wantCrc = (t[0] | (t[1] << 8) | (t[2] << 16) | (t[3] << 24)) >>> 0;
    const wantLen = (t[4] | (t[5] << 8) | (t[6] << 16) | (t[7] << 24)) >>> 0;
    const gotCrc = (crc ^ 0xffffffff) >>> 0;
    if (gotCrc !== wantCrc || memberBytes % 2 ** 32 !== wantLen) {
      throw new Error(`gzip member ending at byte ${end} fails its CRC-32/length check (truncated or corrupt)`);
    }
    crc = 0xffffffff;
    memberBytes = 0;
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    // fflate is imported when a stream first needs it: most commands, and every gzip decode where a native
    // engine is installed, never do (its module builds tables as it loads)
    async start(controller) {
      const { Gunzip } = await import('fflate');
      g = new Gunzip((data) => {
        if (!data.byteLength) return;
        crc = crc32Update(crc, data);
        memberBytes += data.byteLength;
        controller.enqueue(data);
      });
      g.onmember = (offset) => checkTrailer(offset);
    },
    transform(chunk) {
      if (chunk.byteLength === 0) return;
      sawInput = true;
      recent.push({ start: totalIn, bytes: chunk });
      totalIn += chunk.byteLength;
      while (recent.length > 1 && totalIn - recent[1].start >= TAIL) recent.shift();
      g.push(chunk, false);
    },
    flush() {
      if (!sawInput) throw new Error('empty input');
      g.push(new Uint8Array(0), true);
      checkTrailer(totalIn);
    },
  });
}

/** Bytes of input kept to find a trailer when the next member's header is parsed late. */
const TAIL = 1 << 16;

function bytesAt(chunks: Array<{ start: number; bytes: Uint8Array }>, from: number, n: number): Uint8Array | undefined {
  if (from < 0 || chunks.length === 0 || from < chunks[0].start) return undefined;
  const out = new Uint8Array(n);
  let got = 0;
  for (const c of chunks) {
    const end = c.start + c.bytes.byteLength;
    if (end <= from + got) continue;
    const s = from + got - c.start;
    const take = Math.min(n - got, c.bytes.byteLength - s);
    out.set(c.bytes.subarray(s, s + take), got);
    got += take;
    if (got === n) return out;
  }
  return undefined;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as gzip uses) continued over `data`; start from 0xffffffff, finish with ^ 0xffffffff. */
function crc32Update(crc: number, data: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}
