/**
 * Regroups a byte stream into chunks of at least `minBytes` (the last may be shorter). For sinks whose
 * every call has a fixed cost: a FileSystemWritableFileStream write is an IPC round trip, so small chunks
 * pay it many times over.
 */
export function coalesce(minBytes = 1 << 20): TransformStream<Uint8Array, Uint8Array> {
  const batch = new ByteBatch();
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      if (chunk.byteLength === 0) return;
      if (batch.add(chunk) >= minBytes) c.enqueue(batch.take());
    },
    flush(c) {
      if (batch.size > 0) c.enqueue(batch.take());
    },
  });
}

/** Pieces held until there are enough of them: `add` returns the bytes held, `take` hands them on as one array. */
export class ByteBatch {
  private parts: Uint8Array[] = [];
  size = 0;

  add(piece: Uint8Array): number {
    this.parts.push(piece);
    this.size += piece.byteLength;
    return this.size;
  }

  take(): Uint8Array {
    const out = concatBytes(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

/** The pieces as one array (the piece itself when there is only one); `size` is their total length. */
export function concatBytes(parts: Uint8Array[], size = parts.reduce((n, p) => n + p.byteLength, 0)): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}
