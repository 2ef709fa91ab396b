import type { Compression } from '../oci';

/** Every compression the sniffer recognises; only 'none', 'gzip' and 'zstd' can be decoded. */
export type DetectedCompression = Compression | 'bzip2' | 'xz';

/** Bytes needed by detectCompression (the longest magic, xz's, is 6 bytes). */
export const SNIFF_BYTES = 6;

/**
 * Recognises a compression format by its magic bytes at the start of a blob.
 * gzip: 1f 8b (RFC 1952 §2.3.1); zstd: 28 b5 2f fd (RFC 8878 §3.1.1), or a skippable frame
 * 5? 2a 4d 18 (§3.1.2), which zstd streams may start with; bzip2: "BZh"; xz: fd "7zXZ" 00.
 * Anything else (a plain tar, an empty blob) is 'none'.
 */
export function detectCompression(head: Uint8Array): DetectedCompression {
  const b = head;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  if (b.length >= 4 && (b[0] & 0xf0) === 0x50 && b[1] === 0x2a && b[2] === 0x4d && b[3] === 0x18) return 'zstd';
  if (b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0x00) return 'xz';
  return 'none';
}

/**
 * Looks at the first bytes of a stream without losing them: returns the detected compression and
 * a stream that yields every byte of the input, the sniffed ones included.
 */
export async function sniffStream(stream: ReadableStream<Uint8Array>): Promise<{ compression: DetectedCompression; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < SNIFF_BYTES) {
    const r = await reader.read();
    if (r.done) { done = true; break; }
    if (r.value.byteLength === 0) continue;
    head.push(r.value);
    have += r.value.byteLength;
  }
  const joined = concatBytes(head, have);
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (joined.byteLength > 0) controller.enqueue(joined);
      if (done) controller.close();
    },
    async pull(controller) {
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
  return { compression: detectCompression(joined), stream: rest };
}

/** The compression of a stored blob, from its first bytes (compressed form). */
export async function sniffBlob(blob: Blob): Promise<DetectedCompression> {
  return detectCompression(new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer()));
}

function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}
