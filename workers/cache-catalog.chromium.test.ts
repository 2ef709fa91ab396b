/**
 * The browser cache in Chromium: the IndexedDB catalog (idb) lists what the OPFS stores hold, least recently
 * used first; eviction above the cap removes the oldest bodies from OPFS (a layer's record and tar too); the
 * history keeps the newest builds; Web Locks keep eviction and Clear away from running builds (eviction is
 * skipped while a build holds the lock, Clear waits for it); two writers of one digest both succeed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript, chromiumPath, launchChromium, pageWithScript } from '../src/test-support/chromium-script';

const at = (p: string) => JSON.stringify(resolve(__dirname, p));
const entry = `
import { opfsBlobStore } from ${at('../src/core/cache/opfs-store.ts')};
import { opfsRecordStore } from ${at('../src/core/cache/record-store.opfs.ts')};
import { opfsRepodataStore } from ${at('../src/core/conda/repodata-store.opfs.ts')};
import { layerCache } from ${at('../src/core/pipeline/layer-cache.ts')};
import { sha256 } from ${at('../src/core/digest/index.ts')};
import { openCatalog, HISTORY_LIMIT } from ${at('./cache-catalog.ts')};
import { catalogedBlobStore, catalogedLayerCache, clearCache, evictOver, evictWhenFree, withCacheShared } from ${at('./cache-admin.ts')};
const enc = new TextEncoder();
const body = (s) => new ReadableStream({ start(c) { c.enqueue(enc.encode(s)); c.close(); } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
globalThis.check = async () => {
  const out = {};
  const root = await navigator.storage.getDirectory();
  const blobs = await opfsBlobStore();
  const catalog = openCatalog('test-catalog');
  const bodies = { blobs, layers: opfsRecordStore('layers'), repodata: opfsRepodataStore() };
  const pkgs = catalogedBlobStore(blobs, catalog, 'package');
  const texts = ['a'.repeat(1000), 'b'.repeat(1000), 'c'.repeat(1000)];
  const ds = [];
  for (const t of texts) { const d = await sha256(t); ds.push(d); await pkgs.put(d, body(t), 1000); await sleep(5); }
  // a layer, stored through the catalogued layer cache
  const tar = enc.encode('t'.repeat(1500));
  const layerDigest = await sha256(tar);
  const layers = catalogedLayerCache(layerCache(blobs, bodies.layers), catalog);
  const key = 'ab'.repeat(32);
  await layers.put(key, { digest: layerDigest, size: tar.byteLength, tar, packages: [] });
  await sleep(5);
  await pkgs.get(ds[0]); // used again: now the newest package
  out.order = (await catalog.entries()).map((e) => e.kind === 'layer' ? 'layer' : texts[ds.indexOf(e.key)][0]);
  out.total = (await catalog.entries()).reduce((n, e) => n + e.size, 0);
  // cap 2600: the two least recently used (b, c) go, from OPFS too
  out.evicted = await evictOver(2600, catalog, bodies);
  out.left = (await catalog.entries()).map((e) => e.kind === 'layer' ? 'layer' : texts[ds.indexOf(e.key)][0]);
  out.present = await Promise.all(ds.map((d) => blobs.has(d)));
  // the layer next: its record and tar leave OPFS
  out.evictedLayer = await evictOver(1000, catalog, bodies);
  out.layerGone = [await bodies.layers.read(key), await blobs.has(layerDigest)];
  // the user's cap is kept
  await catalog.setCap(123456);
  out.cap = await catalog.cap();
  // history: newest first, at most HISTORY_LIMIT
  for (let i = 0; i < HISTORY_LIMIT + 3; i++) await catalog.addHistory({ date: 1000 + i, form: {}, lock: '', tag: 't:' + i, epoch: 0, manifestDigest: 'm', archiveSha256: 's', size: 1, packages: 0, layers: 1, cachedLayers: 0 });
  const h = await catalog.history();
  out.history = [h.length, h[0].tag, h.at(-1).tag];
  // locks: while a build holds the cache shared, eviction is skipped and Clear waits
  let release;
  const building = withCacheShared(() => new Promise((r) => { release = r; }));
  await sleep(20);
  await catalog.setCap(0);
  out.evictDuringBuild = await evictWhenFree(catalog, bodies);
  let cleared = false;
  const clearing = clearCache(catalog, async () => { await root.removeEntry('blobs', { recursive: true }); }).then(() => { cleared = true; });
  await sleep(100);
  out.clearedDuringBuild = cleared;
  release();
  await building;
  await clearing;
  out.clearedAfter = [cleared, (await catalog.entries()).length];
  // two writers of one digest at once both get the blob
  const fresh = await opfsBlobStore();
  const d = await sha256('same bytes');
  const both = await Promise.all([fresh.put(d, body('same bytes')), fresh.put(d, body('same bytes'))]);
  out.twoWriters = await Promise.all(both.map((b) => b.text()));
  return out;
};`;

describe.skipIf(!existsSync(chromiumPath))('the cache catalog and eviction in Chromium', () => {
  let browser: Browser;
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(entry, 'catalogCheck');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  it('lists entries least recently used first, evicts them from OPFS above the cap, keeps the history, and respects the lock', { timeout: 60_000 }, async () => {
    const page = await pageWithScript(browser, script);
    const got = await page.evaluate(() => (globalThis as unknown as { check(): Promise<Record<string, unknown>> }).check());
    expect(got.order).toEqual(['b', 'c', 'layer', 'a']);
    expect(got.total).toBe(4500);
    expect(got.evicted).toEqual({ removed: 2, freed: 2000 });
    expect(got.left).toEqual(['layer', 'a']);
    expect(got.present).toEqual([true, false, false]);
    expect(got.evictedLayer).toEqual({ removed: 1, freed: 1500 });
    expect(got.layerGone).toEqual([undefined, false]);
    expect(got.cap).toBe(123456);
    expect(got.history).toEqual([50, 't:52', 't:3']);
    expect(got.evictDuringBuild).toBeUndefined();
    expect(got.clearedDuringBuild).toBe(false);
    expect(got.clearedAfter).toEqual([true, 0]);
    expect(got.twoWriters).toEqual(['same bytes', 'same bytes']);
  });
});
