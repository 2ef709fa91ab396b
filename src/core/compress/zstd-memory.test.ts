import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Memory of zstd decoding, measured as the peak RSS of a child process (a bomb's whole output would be
 * a GiB: decoding must follow the reader, never queue ahead of it). The bomb is made by the zstd CLI.
 */
/** not a whole number of MiB: this test is about memory, zstd-wasm.test.ts about frames ending on a window */
const BOMB_BYTES = 1024 ** 3 + 1000;
const RSS_LIMIT_MB = 300;

let dir: string;
let bomb: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zstd-memory-'));
  bomb = join(dir, 'zeros.zst');
  execFileSync('bash', ['-c', `head -c ${BOMB_BYTES} /dev/zero | zstd -q -c > "${bomb}"`]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `body` in a child that has `bytes` (the bomb, as one chunk) and `out` (decompressStream of it);
 * returns what it printed as JSON plus its peak RSS in MB.
 */
function inChild(engine: 'wasm' | 'fzstd', body: string): { result: Record<string, unknown>; rssMb: number } {
  const script = [
    `import { readFileSync } from 'node:fs';`,
    `import { decompressStream, useZstdEngine } from ${JSON.stringify(join(__dirname, 'decompress.ts'))};`,
    engine === 'fzstd' ? `useZstdEngine('fzstd');` : '',
    `const bytes = new Uint8Array(readFileSync(${JSON.stringify(bomb)}));`,
    `const out = decompressStream(new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } }), 'zstd', { what: 'bomb' });`,
    `const result = await (async () => { ${body} })();`,
    `console.log(JSON.stringify({ result, rssMb: process.resourceUsage().maxRSS / 1024 }));`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { result: Record<string, unknown>; rssMb: number };
}

describe.each(['wasm', 'fzstd'] as const)('zstd bomb (%s): memory follows the reader', (engine) => {
  it(`1 GiB (and 1000 bytes) of zeros from a small file, read to the end, in under ${RSS_LIMIT_MB} MB`, () => {
    expect(statSync(bomb).size).toBeLessThan(256 * 1024);
    const { result, rssMb } = inChild(engine, `
      const reader = out.getReader();
      let n = 0, chunks = 0;
      for (;;) { const r = await reader.read(); if (r.done) break; n += r.value.byteLength; chunks++; }
      return { n, chunks };`);
    expect(result.n).toBe(BOMB_BYTES);
    expect(rssMb, `peak RSS ${Math.round(rssMb)} MB`).toBeLessThan(RSS_LIMIT_MB);
  }, 180_000);

  it('read slowly, then cancelled (as a size bound does): memory stays small, decoding stops', () => {
    const { result, rssMb } = inChild(engine, `
      const reader = out.getReader();
      let n = 0;
      while (n < 16 << 20) {
        const r = await reader.read();
        if (r.done) break;
        n += r.value.byteLength;
        await new Promise((ok) => setTimeout(ok, 20));
      }
      await reader.cancel('too large');
      return { n };`);
    expect(result.n).toBeGreaterThanOrEqual(16 << 20);
    expect(result.n).toBeLessThan(32 << 20);
    expect(rssMb, `peak RSS ${Math.round(rssMb)} MB`).toBeLessThan(RSS_LIMIT_MB);
  }, 180_000);
});
