/**
 * opfsPutHashed in Chromium, on a page (createWritable) and in a dedicated worker (a sync access handle, as
 * the layer workers write layers): the stream lands at the digest its hash gave, readable through the blob
 * store; a second writer of the same bytes gets the stored file; a stream that fails, or whose bytes do not
 * add up to the size its hash counted, leaves no file behind. The store's put (a sync access handle in the
 * worker too) keeps only bytes that hash to the digest it was given.
 */
import { resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, haveChromium, launchChromium, pageWithScript } from '../../test-support/chromium-script';

const at = (p: string) => JSON.stringify(resolve(__dirname, p));
const entry = `
import { opfsBlobStore, opfsPutHashed } from ${at('./opfs-store.ts')};
import { hashingStream, sha256 } from ${at('../digest/index.ts')};
const bytes = (n, seed) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255; return b; };
const chunks = (b, size) => new ReadableStream({ start(c) { for (let i = 0; i < b.length; i += size) c.enqueue(b.slice(i, i + size)); c.close(); } });
const listing = async (dir) => { const out = []; for await (const [name] of dir.entries()) out.push(name); return out.sort(); };
const put = (stream) => { const h = hashingStream(); return opfsPutHashed(stream.pipeThrough(h.stream), h.result); };
globalThis.check = async () => {
  const out = { sync: 'createSyncAccessHandle' in FileSystemFileHandle.prototype };
  const root = await navigator.storage.getDirectory();
  await root.removeEntry('blobs', { recursive: true }).catch(() => {});
  const data = bytes(3 * 1024 * 1024 + 17, 5);
  const h = hashingStream();
  const file = await opfsPutHashed(chunks(data, 65536).pipeThrough(h.stream), h.result);
  const { digest, size } = await h.result;
  out.size = [file.size, size];
  out.same = (await new Response(file).arrayBuffer()).byteLength === data.byteLength && new Uint8Array(await new Response(file).arrayBuffer()).every((v, i) => v === data[i]);
  const store = await opfsBlobStore();
  out.stored = (await store.get(digest))?.size;
  const again = await put(chunks(data, 1 << 20));
  out.again = again.size;
  const dir = await (await root.getDirectoryHandle('blobs')).getDirectoryHandle('sha256');
  out.files = (await listing(dir)).length;
  // a stream that fails part-way
  const failing = new ReadableStream({ pull(c) { c.enqueue(bytes(1000, 1)); if (this.n = (this.n ?? 0) + 1, this.n > 3) c.error(new Error('the source broke')); } });
  out.failed = await put(failing).then(() => 'stored', (e) => e.message);
  out.filesAfterFailure = (await listing(dir)).length;
  // the store's own put: checked against the digest it is given, stored only when the bytes hash to it
  const other = bytes(2 * 1024 * 1024 + 5, 9);
  const otherDigest = await sha256(other);
  out.put = (await store.put(otherDigest, chunks(other, 65536), other.byteLength)).size;
  out.putSame = new Uint8Array(await (await store.get(otherDigest)).arrayBuffer()).every((v, i) => v === other[i]);
  const wrong = bytes(1024 * 1024 + 3, 11);
  out.putWrong = await store.put(otherDigest.replace(/.$/, (c) => (c === '0' ? '1' : '0')), chunks(wrong, 65536)).then(() => 'stored', (e) => e.code);
  out.putFailing = await store.put(await sha256(bytes(4000, 1)), new ReadableStream({ pull(c) { c.enqueue(bytes(1000, 1)); if (this.n = (this.n ?? 0) + 1, this.n > 3) c.error(new Error('the source broke')); } })).then(() => 'stored', (e) => e.message);
  out.filesAfterPuts = await listing(dir);
  out.otherHex = otherDigest.slice(7);
  // pieces of mixed sizes (a tar's headers, paddings, small and large files) land in order
  const mixedData = bytes(2 * 1024 * 1024 + 333, 9);
  const sizes = [512, 700, 300000, 100, 1 << 20, 512, 262144, 1];
  const pieces = new ReadableStream({ start(c) { for (let at = 0, k = 0; at < mixedData.length; k++) { const n = sizes[k % sizes.length]; c.enqueue(mixedData.slice(at, at + n)); at += n; } c.close(); } });
  const mixed = new Uint8Array(await (await put(pieces)).arrayBuffer());
  out.mixed = mixed.byteLength === mixedData.byteLength && mixed.every((v, i) => v === mixedData[i]);
  return out;
};
`;

describe.skipIf(!haveChromium)('opfsPutHashed in Chromium', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(entry, 'putHashedCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  const expectations = (got: Record<string, unknown>) => {
    expect(got.size).toEqual([3 * 1024 * 1024 + 17, 3 * 1024 * 1024 + 17]);
    expect(got.same).toBe(true);
    expect(got.stored).toBe(3 * 1024 * 1024 + 17);
    expect(got.again).toBe(3 * 1024 * 1024 + 17);
    expect(got.files).toBe(1);
    expect(got.failed).toBe('the source broke');
    expect(got.filesAfterFailure).toBe(1);
    expect(got.put).toBe(2 * 1024 * 1024 + 5);
    expect(got.putSame).toBe(true);
    // wrong bytes and a broken source leave nothing behind: the two verified blobs only
    expect(got.putWrong).toBe('digest-mismatch');
    expect(got.putFailing).toBe('the source broke');
    expect((got.filesAfterPuts as string[]).length).toBe(2);
    expect(got.filesAfterPuts).toContain(got.otherHex);
    expect(got.mixed).toBe(true);
  };

  it('on a page (createWritable)', { timeout: 60_000 }, async () => {
    const page = await pageWithScript(browser, script);
    const got = await page.evaluate(() => (globalThis as unknown as { check(): Promise<Record<string, unknown>> }).check());
    expect(got.sync).toBe(false);
    expectations(got);
  });

  it('in a dedicated worker (a sync access handle)', { timeout: 60_000 }, async () => {
    const page = await pageWithScript(browser, script);
    const got = await page.evaluate(async (source) => {
      const url = URL.createObjectURL(new Blob([`${source}\nself.onmessage = async () => self.postMessage(await globalThis.check().catch((e) => ({ error: String(e) })));`], { type: 'text/javascript' }));
      const w = new Worker(url);
      return new Promise<Record<string, unknown>>((ok) => { w.onmessage = (e) => ok(e.data as Record<string, unknown>); w.postMessage(0); });
    }, script);
    expect(got.sync).toBe(true);
    expectations(got);
  });
});
