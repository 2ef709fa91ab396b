/**
 * decompressStream in the real browser (Debian's Chromium): with `reopen` (the native path and its
 * fflate fallback) and with fflate alone it decodes multi-member gzip (eStargz) and maps corrupt input
 * to 'compression-corrupt', as in Node.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, chromiumPath, launchChromium, pageWithScript } from '../../test-support/chromium-script';

const entry = `
import { decompressStream } from ${JSON.stringify(resolve(__dirname, 'index.ts'))};
globalThis.decode = async (b64, compression, mode) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes]);
  const opts = mode === 'reopen' ? { reopen: () => blob.stream() } : mode === 'native' ? { native: true } : { native: false };
  try {
    // read with a reader: Chromium's Response(stream).arrayBuffer() replaces stream errors with 'Failed to fetch'
    const reader = decompressStream(blob.stream(), compression, opts).getReader();
    const parts = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    const out = new Uint8Array(await new Blob(parts).arrayBuffer());
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', out));
    return { sha: [...d].map((x) => x.toString(16).padStart(2, '0')).join(''), hasNative: typeof DecompressionStream === 'function' };
  } catch (e) {
    return { error: e.code ?? e.name, message: String(e.message) };
  }
};`;

describe.skipIf(!existsSync(chromiumPath))('decompressStream in Chromium', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(entry, 'decodeCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  it('multi-member gzip, zstd, and corrupt gzip behave as in Node', async () => {
    const page = await pageWithScript(browser, script);
    const data = new Uint8Array(200_000).map((_, i) => (i * 31) % 251);
    const gz = (b: Uint8Array) => new Uint8Array(execFileSync('gzip', ['-c'], { input: b }));
    const multi = Buffer.concat([gz(data.subarray(0, 7000)), gz(data.subarray(7000, 9000)), gz(data.subarray(9000))]);
    const sha = createHash('sha256').update(data).digest('hex');
    type R = { sha?: string; error?: string; message?: string; hasNative?: boolean };
    const decode = (b: Uint8Array, c: string, mode: 'reopen' | 'native' | 'fflate') => page.evaluate(([b64, c2, m]) =>
      (globalThis as unknown as { decode(a: string, b: string, c: string): Promise<R> }).decode(b64, c2, m), [Buffer.from(b).toString('base64'), c, mode] as const);
    const bad = Buffer.from(multi);
    bad[bad.length - 3] ^= 1; // the last member's ISIZE
    for (const mode of ['reopen', 'fflate'] as const) {
      const ok = await decode(multi, 'gzip', mode);
      expect(ok, `${mode} ${JSON.stringify(ok)}`).toEqual({ sha, hasNative: true });
      expect((await decode(bad, 'gzip', mode)).error, mode).toBe('compression-corrupt');
    }
    // why `reopen` exists: Chromium's own DecompressionStream stops at the first member
    const nativeOnly = await decode(multi, 'gzip', 'native');
    expect(nativeOnly.error).toBe('compression-corrupt');
    expect(nativeOnly.message).toMatch(/Junk found after end of compressed data/);
    expect((await decode(gz(data), 'gzip', 'native')).sha).toBe(sha);
    expect((await decode(new Uint8Array(execFileSync('zstd', ['-c', '-q'], { input: data })), 'zstd', 'fflate')).sha).toBe(sha);
  }, 60_000);
});
