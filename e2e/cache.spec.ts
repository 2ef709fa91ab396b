/**
 * The browser cache end to end, on the offline sample (its channel on the app's own origin, so every package
 * read is a request the test sees): after a reload the same build downloads no package and builds no layer
 * and writes the same archive; a package whose bytes were changed in OPFS is downloaded again; a cached layer
 * whose bytes were changed is built again and written over them, giving the same archive; cache writes
 * failing with QuotaExceededError leave a warning and a saved, identical archive; two tabs building at once
 * both finish with the same correct archive.
 */
import { createHash } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { opfsFile } from './support/opfs-file';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Package archives the page (its workers too) asked the sample channel for. */
function countPackageReads(page: Page): string[] {
  const reads: string[] = [];
  page.context().on('request', (r) => { if (/\/sample\/channel\/.*\.(conda|tar\.bz2)$/.test(r.url())) reads.push(new URL(r.url()).pathname); });
  return reads;
}

/** The picker stand-in: the archive goes to OPFS file `name`. */
async function pickInto(page: Page, name: string) {
  await page.addInitScript((n) => {
    (window as unknown as { showSaveFilePicker?: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
      async () => (await navigator.storage.getDirectory()).getFileHandle(n, { create: true });
  }, name);
}

/** Opens the Build view, fills it from the sample, builds, and returns the archive's sha256. */
async function buildSample(page: Page, file: string): Promise<string> {
  await page.getByRole('button', { name: 'Build', exact: true }).click();
  await page.getByRole('button', { name: 'Try the sample build' }).click();
  await expect(page.getByTestId('form-invalid')).toHaveCount(0);
  await page.getByTestId('build-button').click();
  await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  return sha256(await opfsFile(page, file));
}

/** Layer lines of the build log: `[built, cached]`. */
async function layerCounts(page: Page): Promise<[number, number]> {
  const log = (await page.getByTestId('build-log').textContent()) ?? '';
  const lines = log.split('\n').filter((l) => /^layers: \d+\/\d+: /.test(l));
  const cached = lines.filter((l) => l.endsWith(' (cached)')).length;
  return [lines.length - cached, cached];
}

/**
 * Flips one byte in the middle of a cached blob in OPFS, found through the IndexedDB catalog: the first
 * package, or the largest layer. Returns its digest.
 */
async function corruptCached(page: Page, kind: 'package' | 'layer'): Promise<string | undefined> {
  return page.evaluate(async (kind) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => { const r = indexedDB.open('docker-envs-cache'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const entries = await new Promise<{ kind: string; key: string; digest?: string; size: number }[]>((ok) => { const r = db.transaction('entries').objectStore('entries').getAll(); r.onsuccess = () => ok(r.result); });
    const digest = kind === 'package'
      ? entries.find((e) => e.kind === 'package')!.key
      : entries.filter((e) => e.kind === 'layer').sort((x, y) => y.size - x.size)[0].digest!;
    const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('blobs')).getDirectoryHandle('sha256');
    const fh = await dir.getFileHandle(digest.slice('sha256:'.length));
    const bytes = new Uint8Array(await (await fh.getFile()).arrayBuffer());
    bytes[bytes.length >> 1] ^= 0xff;
    const w = await fh.createWritable();
    await w.write(bytes);
    await w.close();
    return digest;
  }, kind);
}

/**
 * The cache's OPFS files that its IndexedDB catalog does not name: in blobs/sha256 (packages, base blobs, layer
 * tars by digest; temporary files) and in layers/ (layer records by key); and how many catalogued bodies there are.
 */
async function strayFiles(page: Page): Promise<{ stray: string[]; catalogued: { packages: number; layers: number; layerFiles: number } }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => { const r = indexedDB.open('docker-envs-cache'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    const entries = await new Promise<{ kind: string; key: string; digest?: string }[]>((ok) => { const r = db.transaction('entries').objectStore('entries').getAll(); r.onsuccess = () => ok(r.result); });
    db.close();
    const hex = (d: string) => d.slice(d.indexOf(':') + 1);
    const blobs = new Set(entries.filter((e) => e.kind !== 'repodata').map((e) => hex(e.digest ?? e.key)));
    const layers = new Set(entries.filter((e) => e.kind === 'layer').map((e) => `${e.key}.json`));
    type Dir = FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
    const names = async (...path: string[]) => {
      let d: FileSystemDirectoryHandle | undefined = await navigator.storage.getDirectory();
      for (const n of path) d = d && await d.getDirectoryHandle(n).catch(() => undefined);
      const out: string[] = [];
      if (d) for await (const n of (d as Dir).keys()) out.push(n);
      return out;
    };
    const [blobFiles, layerFiles] = [await names('blobs', 'sha256'), await names('layers')];
    return {
      stray: [...blobFiles.filter((n) => !blobs.has(n)).map((n) => `blobs/sha256/${n}`), ...layerFiles.filter((n) => !layers.has(n)).map((n) => `layers/${n}`)],
      catalogued: {
        packages: entries.filter((e) => e.kind === 'package' && blobFiles.includes(hex(e.key))).length,
        layers: entries.filter((e) => e.kind === 'layer').length,
        // catalogued layers whose record and tar are both still there
        layerFiles: entries.filter((e) => e.kind === 'layer' && layerFiles.includes(`${e.key}.json`) && blobFiles.includes(hex(e.digest!))).length,
      },
    };
  });
}

test.describe('the browser cache', () => {
  test('after a reload the same build downloads no package, builds no layer, writes the same archive; a corrupted package is downloaded again', async ({ page }) => {
    test.setTimeout(300_000);
    const reads = countPackageReads(page);
    await pickInto(page, 'out.tar');
    await page.goto('/');
    const first = await buildSample(page, 'out.tar');
    const downloaded = reads.length;
    expect(downloaded).toBeGreaterThan(0);
    const [built] = await layerCounts(page);
    expect(built).toBeGreaterThan(0);

    await page.reload();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    expect(reads.length).toBe(downloaded);
    expect(await layerCounts(page)).toEqual([0, built]);
    await expect(page.getByTestId('build-cached-layers')).toHaveText(String(built));

    // one cached package's bytes changed on disk: while every layer comes from the layer cache nothing reads
    // the package (its layer's bytes are known by its sha256), so nothing is downloaded and the archive is the same
    const changed = await corruptCached(page, 'package');
    expect(changed).toMatch(/^sha256:/);
    await page.reload();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    expect(reads.length).toBe(downloaded);
    // once the layer records are gone the layers are built from the packages: the changed one is found by its
    // digest as it is read, downloaded again, and the archive is the same
    await page.evaluate(async () => { await (await navigator.storage.getDirectory()).removeEntry('layers', { recursive: true }); });
    await page.reload();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    expect(reads.length).toBe(downloaded + 1);
    expect((await layerCounts(page))[0]).toBe(built);

    // the cache panel lists what is kept, and the history the builds
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await expect(page.getByTestId('cache-entries').locator('tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('history-row')).toHaveCount(4);
    await expect(page.getByTestId('history-sha256').first()).toHaveText(first.slice(7, 19));
  });

  test('a cached layer whose bytes were changed in OPFS is found by its digest as it is written: built again and written over, the same archive', async ({ page }) => {
    test.setTimeout(300_000);
    await pickInto(page, 'out.tar');
    await page.goto('/');
    const first = await buildSample(page, 'out.tar');
    const [built] = await layerCounts(page);
    expect(built).toBeGreaterThan(1);
    const changed = await corruptCached(page, 'layer');
    expect(changed).toMatch(/^sha256:/);
    await page.reload();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    // the damaged layer was built again; every other one came from the cache
    await expect(page.getByTestId('build-cached-layers')).toHaveText(String(built - 1));
    // and stored again: the next build takes every layer from the cache
    await page.reload();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    await expect(page.getByTestId('build-cached-layers')).toHaveText(String(built));
  });

  test('cache writes failing with QuotaExceededError: a warning, and the build still saves the same archive', async ({ page }) => {
    test.setTimeout(300_000);
    await pickInto(page, 'out.tar');
    await page.goto('/');
    const reference = await buildSample(page, 'out.tar');
    // the build worker is running: every cache write in it now fails as a full quota does (the archive's own file is written)
    const worker = page.workers().find((w) => w.url().includes('build.worker'));
    expect(worker, 'the build worker').toBeDefined();
    await worker!.evaluate(() => {
      const full = (name: string) => name.includes('.tmp-') || name.endsWith('.json');
      const create = FileSystemFileHandle.prototype.createWritable;
      FileSystemFileHandle.prototype.createWritable = async function (this: FileSystemFileHandle, ...a: Parameters<typeof create>) {
        if (full(this.name)) throw new DOMException('simulated: the quota has been exceeded', 'QuotaExceededError');
        return create.apply(this, a);
      };
      // the blob store writes through sync access handles where the worker has them: there a full quota fails the write
      type SyncHandle = { write(b: Uint8Array, o?: { at: number }): number };
      const proto = FileSystemFileHandle.prototype as unknown as { createSyncAccessHandle(): Promise<SyncHandle> };
      const open = proto.createSyncAccessHandle;
      proto.createSyncAccessHandle = async function (this: FileSystemFileHandle) {
        const h = await open.call(this);
        if (full(this.name)) h.write = () => { throw new DOMException('simulated: the quota has been exceeded', 'QuotaExceededError'); };
        return h;
      };
    });
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await page.getByTestId('cache-clear').click();
    await expect(page.getByTestId('cache-total')).toContainText('0 entries');
    expect(await buildSample(page, 'out.tar')).toBe(reference);
    await expect(page.getByTestId('build-warnings')).toContainText('package cache: the storage quota is exceeded; the rest of this build is not cached');
    await expect(page.getByTestId('build-warnings')).toContainText('layer cache: the storage quota is exceeded');
  });

  test('a build cancelled mid-way leaves no file outside the catalog: the layer tars and records it stored but never catalogued are removed', async ({ page }) => {
    test.setTimeout(300_000);
    await pickInto(page, 'out.tar');
    await page.goto('/');
    const reference = await buildSample(page, 'out.tar');
    const [built] = await layerCounts(page);
    expect(built).toBeGreaterThan(2);
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await page.getByTestId('cache-clear').click();
    await expect(page.getByTestId('cache-total')).toContainText('0 entries');
    // in the build worker: the first layer record is written, every later one waits for good, so the build
    // stops with layer tars stored (by the layer workers) that no record or catalog row names yet
    const worker = page.workers().find((w) => w.url().includes('build.worker'));
    expect(worker, 'the build worker').toBeDefined();
    await worker!.evaluate(() => {
      const w = self as unknown as { __held: number };
      w.__held = 0;
      let records = 0;
      const create = FileSystemFileHandle.prototype.createWritable;
      FileSystemFileHandle.prototype.createWritable = async function (this: FileSystemFileHandle, ...a: Parameters<typeof create>) {
        if (/^[0-9a-f]{64}\.json$/.test(this.name) && ++records > 1) { w.__held++; return new Promise<never>(() => {}); }
        return create.apply(this, a);
      };
    });
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await page.getByTestId('build-button').click();
    await expect.poll(() => worker!.evaluate(() => (self as unknown as { __held: number }).__held), { timeout: 120_000 }).toBeGreaterThan(0);
    // the layer workers' tars are in OPFS, but the catalog does not know them
    await expect.poll(async () => (await strayFiles(page)).stray.length).toBeGreaterThan(0);
    const before = await strayFiles(page);
    expect(before.catalogued.layers).toBe(1);

    await page.getByTestId('build-cancel').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'cancelled');
    const after = await strayFiles(page);
    expect(after.stray).toEqual([]);
    // what the catalog names stays: the packages and the one layer catalogued before the cancel
    expect(after.catalogued.packages).toBe(before.catalogued.packages);
    expect(after.catalogued.packages).toBeGreaterThan(0);
    expect(after.catalogued.layerFiles).toBe(1);

    // the next build (a fresh worker) builds the rest and writes the same archive
    await page.getByTestId('build-button').click();
    await expect(page.getByTestId('build-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
    expect(sha256(await opfsFile(page, 'out.tar'))).toBe(reference);
    await expect(page.getByTestId('build-cached-layers')).toHaveText('1');
    expect((await strayFiles(page)).stray).toEqual([]);
  });

  test('the cap is kept: after a build, the least recently used entries above it are evicted (a cap of 0 keeps nothing)', async ({ page }) => {
    test.setTimeout(300_000);
    await pickInto(page, 'out.tar');
    await page.goto('/');
    const first = await buildSample(page, 'out.tar');
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await expect(page.getByTestId('cache-total')).toHaveText(/^[1-9]\d* entries/);
    expect((await strayFiles(page)).catalogued.packages).toBeGreaterThan(0);
    await page.getByTestId('cache-cap').fill('0');
    await page.getByRole('button', { name: 'Set cap' }).click();
    expect(await buildSample(page, 'out.tar')).toBe(first);
    await page.getByRole('button', { name: 'Cache & history' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByTestId('cache-total')).toHaveText(/^0 entries/);
    const left = await strayFiles(page);
    expect(left.stray).toEqual([]);
    expect(left.catalogued.packages).toBe(0);
    // the history stays
    await expect(page.getByTestId('history-row')).toHaveCount(2);
  });

  test('two tabs building at once both finish with the same archive', async ({ context }) => {
    test.setTimeout(300_000);
    const [a, b] = [await context.newPage(), await context.newPage()];
    await pickInto(a, 'a.tar');
    await pickInto(b, 'b.tar');
    await a.goto('/');
    await b.goto('/');
    const [x, y] = await Promise.all([buildSample(a, 'a.tar'), buildSample(b, 'b.tar')]);
    expect(x).toBe(y);
    // and a third build, from the cache both filled, gives it too
    await a.reload();
    expect(await buildSample(a, 'a.tar')).toBe(x);
    expect((await layerCounts(a))[0]).toBe(0);
  });
});
