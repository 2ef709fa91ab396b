/** Node's native md5 (OpenSSL) as the core's md5 engine: same digests as hash-wasm, without its WebAssembly. */
import { createHash } from 'node:crypto';
import { useMd5Engine } from './md5';

/** Makes every core md5 in this process use node:crypto. */
export function useNodeMd5(): void {
  useMd5Engine(() => {
    const h = createHash('md5');
    return { update: (c) => { h.update(c); }, hex: () => h.digest('hex') };
  });
}
