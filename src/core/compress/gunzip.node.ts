/** Node's zlib as the core's gzip decoder: large output chunks, decoded on the thread pool. */
import { Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { useGunzipEngine } from './decompress';

/** Makes every core gzip decode in this process use zlib with 1 MiB output chunks (multi-member gzip included). */
export function useNodeGunzip(): void {
  useGunzipEngine(() => Duplex.toWeb(createGunzip({ chunkSize: 1 << 20 })) as unknown as TransformStream<Uint8Array, Uint8Array>);
}
