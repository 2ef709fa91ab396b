import { describe, expect, it } from 'vitest';
import { releaseBuffer } from './memory';

describe('releaseBuffer', () => {
  it('detaches the buffer behind a view: every view of it is then empty', () => {
    const a = new Int32Array(1024).fill(7);
    const other = new Uint8Array(a.buffer, 16, 32);
    releaseBuffer(a);
    expect(a.length).toBe(0);
    expect(other.length).toBe(0);
    expect(a.buffer.byteLength).toBe(0);
  });

  it('leaves empty, already detached and shared buffers alone', () => {
    const empty = new Uint8Array(0);
    releaseBuffer(empty);
    const a = new Uint8Array(64);
    releaseBuffer(a);
    expect(() => releaseBuffer(a)).not.toThrow();
    const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(1);
    releaseBuffer(shared);
    expect(shared.length).toBe(64);
    expect(shared[63]).toBe(1);
  });
});
