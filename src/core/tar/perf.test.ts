/** indexTar speed on a generated 50k-entry tar read through fs.openAsBlob (only headers are fetched). */
import { openAsBlob } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexTar, tarSize, writeTar, type TarWriteEntry } from './index';

const N = 50_000;
function* entries(): Generator<TarWriteEntry> {
  const body = new TextEncoder().encode('small file body\n');
  for (let i = 0; i < N; i++) yield { name: `d${i % 100}/f${i}.txt`, type: 'file', body, mtime: 1700000000 };
}

describe('indexTar performance', () => {
  it(`indexes ${N} entries quickly`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-perf-'));
    try {
      const file = join(dir, 'many.tar');
      const w0 = performance.now();
      writeFileSync(file, new Uint8Array(await new Response(writeTar(entries())).arrayBuffer()));
      console.log(`writeTar: ${N} entries in ${(performance.now() - w0).toFixed(0)} ms`);
      const blob = await openAsBlob(file);
      expect(blob.size).toBe(tarSize(entries()));
      const t0 = performance.now();
      const index = await indexTar(blob);
      const ms = performance.now() - t0;
      console.log(`indexTar: ${N} entries, ${(blob.size / 2 ** 20).toFixed(1)} MiB in ${ms.toFixed(0)} ms`);
      expect(index.entries.length).toBe(N);
      expect(index.entries[N - 1].name).toBe(`d${(N - 1) % 100}/f${N - 1}.txt`);
      expect(index.size).toBe(blob.size);
      expect(ms).toBeLessThan(5000); // generous for loaded CI machines; measured well under 1 s here
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
