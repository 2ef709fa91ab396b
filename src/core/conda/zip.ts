/**
 * A minimal ZIP reader over a Blob, for `.conda` packages: the central directory (with ZIP64) says where each
 * member is; a member's bytes are a Blob slice (stored) or inflated (deflate). Nothing else is read.
 */
import { CoreError } from '../errors';

/** One member of a zip. Sizes in bytes. */
export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflate */
  method: number;
  compressedSize: number;
  size: number;
  /** offset of the member's local header */
  localOffset: number;
  /** the Unix mode in the external attributes (made by Unix zip tools), 0 when the zip does not say */
  unixMode: number;
}

const bad = (why: string) => new CoreError('archive-invalid', `not a valid .conda (zip) file: ${why}`);

/**
 * Random access to a zip's bytes: a Blob, or ranged HTTP reads of a remote file (a wheel's METADATA is read
 * without downloading the wheel).
 */
export interface ZipSource {
  readonly size: number;
  /** the bytes in [start, end) */
  read(start: number, end: number): Promise<Uint8Array<ArrayBuffer>>;
}

/** A ZipSource over a Blob. */
export function blobZipSource(blob: Blob): ZipSource {
  return { size: blob.size, read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()) };
}

async function bytesAt(src: ZipSource | Blob, start: number, end: number): Promise<DataView> {
  if (start < 0 || end > src.size || start > end) throw bad(`a record at ${start}..${end} lies outside the ${src.size}-byte file`);
  const b = src instanceof Blob ? new Uint8Array(await src.slice(start, end).arrayBuffer()) : await src.read(start, end);
  if (b.byteLength !== end - start) throw bad(`a read of ${start}..${end} gave ${b.byteLength} bytes`);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads the central directory. */
export async function readZipDirectory(blob: Blob | ZipSource): Promise<ZipMember[]> {
  const tailLen = Math.min(blob.size, 65_557);
  const tail = await bytesAt(blob, blob.size - tailLen, blob.size);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) if (tail.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let count = tail.getUint16(eocd + 10, true);
  let dirSize = tail.getUint32(eocd + 12, true);
  let dirOffset = tail.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    // ZIP64: the locator sits just before the EOCD record
    const loc = eocd - 20;
    if (loc < 0 || tail.getUint32(loc, true) !== 0x07064b50) throw bad('ZIP64 locator missing');
    const z64 = Number(tail.getBigUint64(loc + 8, true));
    const rec = await bytesAt(blob, z64, z64 + 56);
    if (rec.getUint32(0, true) !== 0x06064b50) throw bad('ZIP64 end record missing');
    count = Number(rec.getBigUint64(32, true));
    dirSize = Number(rec.getBigUint64(40, true));
    dirOffset = Number(rec.getBigUint64(48, true));
  }
  if (count > 10_000) throw bad(`${count} members`);
  const dir = await bytesAt(blob, dirOffset, dirOffset + dirSize);
  const members: ZipMember[] = [];
  const dec = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.byteLength || dir.getUint32(p, true) !== 0x02014b50) throw bad('central directory entry corrupt');
    const method = dir.getUint16(p + 10, true);
    let compressedSize = dir.getUint32(p + 20, true);
    let size = dir.getUint32(p + 24, true);
    const nameLen = dir.getUint16(p + 28, true);
    const extraLen = dir.getUint16(p + 30, true);
    const commentLen = dir.getUint16(p + 32, true);
    let localOffset = dir.getUint32(p + 42, true);
    const unixMode = dir.getUint8(p + 5) === 3 ? dir.getUint32(p + 38, true) >>> 16 : 0;
    if (p + 46 + nameLen + extraLen + commentLen > dir.byteLength) throw bad('a central directory entry runs past the directory');
    const name = dec.decode(new Uint8Array(dir.buffer, dir.byteOffset + p + 46, nameLen));
    // ZIP64 extended information: the 64-bit values, in this order, for the fields that are 0xffffffff
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = dir.getUint16(e, true);
      const len = dir.getUint16(e + 2, true);
      if (e + 4 + len > end) throw bad(`an extra field of ${name} runs past its entry`);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > e + 4 + len) throw bad(`the ZIP64 field of ${name} is too short`);
          const v = Number(dir.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    members.push({ name, method, compressedSize, size, localOffset, unixMode });
    p = end + commentLen;
  }
  return members;
}

/** The member's bytes as stored in the zip (a slice; compressed when method is 8). */
export async function zipMemberRaw(blob: Blob | ZipSource, m: ZipMember): Promise<Blob> {
  const h = await bytesAt(blob, m.localOffset, m.localOffset + 30);
  if (h.getUint32(0, true) !== 0x04034b50) throw bad(`local header of ${m.name} missing`);
  const start = m.localOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + m.compressedSize > blob.size) throw bad(`${m.name} runs past the end of the file`);
  if (blob instanceof Blob) return blob.slice(start, start + m.compressedSize);
  return new Blob([await blob.read(start, start + m.compressedSize)]);
}

/** A stream of the member's uncompressed bytes. */
export async function zipMemberStream(blob: Blob | ZipSource, m: ZipMember): Promise<ReadableStream<Uint8Array>> {
  const raw = await zipMemberRaw(blob, m);
  if (m.method === 0) return raw.stream();
  if (m.method === 8) return inflateRaw(raw.stream(), m.name);
  throw new CoreError('unsupported-compression', `${m.name}: zip compression method ${m.method} is not supported`);
}

/** Inflates a deflate member; the runtime's own errors (a TypeError in Node and Chromium) become CoreErrors. */
function inflateRaw(s: ReadableStream<Uint8Array>, name: string): ReadableStream<Uint8Array> {
  const reader = s.pipeThrough(new DecompressionStream('deflate-raw') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const x = await reader.read();
        if (x.done) c.close();
        else c.enqueue(x.value);
      } catch (e) {
        if (e instanceof CoreError) throw e;
        throw new CoreError('compression-corrupt', `${name}: its deflate data is corrupt (${(e as Error).message})`, { cause: e });
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  });
}
