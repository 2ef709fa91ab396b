/** Node's native sha256 (OpenSSL) as the core's hash engine: same digests as hash-wasm, several times faster. */
import { createHash } from 'node:crypto';
import { useSha256Engine } from './digest';

/** Makes every core hash in this process use node:crypto. */
export function useNodeSha256(): void {
  useSha256Engine(() => {
    const h = createHash('sha256');
    return { update: (c) => { h.update(c); }, hex: () => h.digest('hex') };
  });
}
