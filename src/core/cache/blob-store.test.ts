import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../digest';
import { memoryBlobStore, type BlobStore } from './blob-store';
import { folderBlobStore } from './blob-store.node.js';

const enc = new TextEncoder();
const streamOf = (...parts: string[]) => new ReadableStream<Uint8Array>({
  start(c) { for (const p of parts) c.enqueue(enc.encode(p)); c.close(); },
});
const failing = (after: string) => new ReadableStream<Uint8Array>({
  start(c) { c.enqueue(enc.encode(after)); c.error(new Error('connection reset')); },
});

const dir = mkdtempSync(join(tmpdir(), 'blob-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['memory', () => memoryBlobStore()],
  ['folder', () => folderBlobStore(join(dir, String(Math.random())))],
] as Array<[string, () => BlobStore]>)('%s BlobStore', (_name, make) => {
  it('stores verified bytes under their digest', async () => {
    const s = make();
    const d = await sha256('hello world');
    const blob = await s.put(d, streamOf('hello ', 'world'), 11);
    expect(await blob.text()).toBe('hello world');
    expect(await s.has(d)).toBe(true);
    expect(await (await s.get(d))!.text()).toBe('hello world');
  });

  it('keeps nothing when the bytes do not match, the size is wrong, or the stream fails', async () => {
    const s = make();
    const d = await sha256('expected');
    await expect(s.put(d, streamOf('tampered'))).rejects.toMatchObject({ code: 'digest-mismatch' });
    await expect(s.put(d, streamOf('expected'), 9)).rejects.toMatchObject({ code: 'size-mismatch' });
    await expect(s.put(d, failing('exp'))).rejects.toThrow(/connection reset/);
    expect(await s.has(d)).toBe(false);
    expect(await s.get(d)).toBeUndefined();
  });
});

describe('folder BlobStore', () => {
  it('leaves no temporary file behind after a failed put', async () => {
    const root = join(dir, 'tmpcheck');
    const s = folderBlobStore(root);
    await expect(s.put(await sha256('x'), streamOf('y'))).rejects.toThrow();
    expect(readdirSync(join(root, 'sha256'))).toEqual([]);
  });
});
