/**
 * Giving typed-array memory back at once. A buffer that is dropped stays allocated until the collector
 * finds it, and a worker that has just finished a burst of work may not collect for a long while; a
 * buffer that is known to be dead can instead be detached, which frees its bytes now.
 */

type Transferable = ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer; readonly detached?: boolean };

/**
 * Frees the memory behind `view` now: its ArrayBuffer is detached (every view of it then has length 0),
 * through `ArrayBuffer.prototype.transfer(0)` where the runtime has it (the bytes are freed at once),
 * else through a transferring structuredClone (the same detaching; the bytes then go with the collector).
 * Only for a buffer nothing else reads any more; shared, already detached and empty buffers are left alone.
 */
export function releaseBuffer(view: ArrayBufferView): void {
  const b = view.buffer as Transferable;
  if (!(b instanceof ArrayBuffer) || b.byteLength === 0 || b.detached) return;
  if (typeof b.transfer === 'function') b.transfer(0);
  else structuredClone(b, { transfer: [b] });
}
