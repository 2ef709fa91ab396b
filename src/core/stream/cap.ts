/**
 * A pass-through that errors once more than `max()` bytes went by: the bound on what a decoder may
 * expand into (a decompression bomb stops there). The bound may tighten on the way.
 */
export function capBytes(max: number | (() => number), tooLarge: (max: number) => Error): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  const limit = typeof max === 'number' ? () => max : max;
  return new TransformStream({
    transform(chunk, c) {
      seen += chunk.byteLength;
      if (seen > limit()) throw tooLarge(limit());
      c.enqueue(chunk);
    },
  });
}
