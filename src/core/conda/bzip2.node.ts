/** bzip2 for .tar.bz2 packages in Node (seek-bzip decodes whole buffers; packages are small enough). */
import { createRequire } from 'node:module';
import { CoreError } from '../errors';

const require = createRequire(import.meta.url);
const Bunzip = require('seek-bzip') as { decode(input: Buffer, output?: unknown, multistream?: boolean): Buffer };

class TooLarge extends Error {}

/** Decodes a whole bzip2 stream; stops as soon as the output would pass `maxBytes` (a bomb never expands). */
export function bunzip2(bytes: Uint8Array, maxBytes: number): Uint8Array {
  let buf = new Uint8Array(Math.min(maxBytes, Math.max(64 * 1024, bytes.byteLength * 4)));
  let pos = 0;
  const sink = {
    writeByte(b: number) {
      if (pos === buf.length) {
        if (pos >= maxBytes) throw new TooLarge();
        const next = new Uint8Array(Math.min(maxBytes, buf.length * 2));
        next.set(buf);
        buf = next;
      }
      buf[pos++] = b;
    },
    write(src: Uint8Array, off: number, len: number) { for (let i = 0; i < len; i++) this.writeByte(src[off + i]); return len; },
    flush() {},
  };
  try {
    Bunzip.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), sink, true);
  } catch (e) {
    if (e instanceof TooLarge) throw new CoreError('archive-invalid', `bzip2 data expands past ${maxBytes} bytes: refusing it (a corrupt or malicious package)`);
    throw new CoreError('compression-corrupt', `bzip2 data is corrupt: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return buf.subarray(0, pos);
}
