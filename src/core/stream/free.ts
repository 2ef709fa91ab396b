/**
 * Gives a buffer's memory back now rather than at some later garbage collection (which an idle worker may
 * never run, and which large buffers alone rarely trigger): ArrayBuffer.prototype.transfer(0) detaches it,
 * and every view of it reads as empty from then on, so only a buffer nothing else reads may be given. A view
 * of part of a larger buffer is left alone, as is everything where the runtime lacks transfer (left to the
 * collector).
 */
export function freeNow(b: Uint8Array): void {
  if (b.byteOffset !== 0 || b.byteLength !== b.buffer.byteLength) return;
  (b.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }).transfer?.(0);
}
