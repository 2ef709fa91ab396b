/** Node's zlib as the core's gzip decoder: large output chunks, decoded on the thread pool. */
import { Duplex } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { useGunzipEngine } from './decompress';

/**
 * Makes every core gzip decode in this process use zlib with 1 MiB output chunks (multi-member gzip
 * included). Up to 4 MiB of output may wait to be read, so the thread pool keeps inflating while the
 * main thread hashes and writes what came before.
 */
export function useNodeGunzip(): void {
  useGunzipEngine(() => Duplex.toWeb(createGunzip({ chunkSize: 1 << 20, readableHighWaterMark: 4 << 20 } as ZlibOptions)) as unknown as TransformStream<Uint8Array, Uint8Array>);
}
