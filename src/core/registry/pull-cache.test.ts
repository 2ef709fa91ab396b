/**
 * A base image's layer blob kept in the blob cache is hashed again when the image is opened: bytes changed on
 * disk since the pull are dropped and the blob is downloaded again. The registry is a scripted `fetch` serving
 * an image made here (the real registry's pulls are checked in e2e/integration/registry-pull.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderBlobStore } from '../cache/blob-store.node.js';
import { digestHex, digestStream } from '../digest';
import { appendLayers, emptyImage, layerFromFiles } from '../image';
import { RegistryClient } from './client';
import { fetchRegistryImage } from './pull';

const dir = mkdtempSync(join(tmpdir(), 'pull-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pulling through the blob cache', () => {
  it('a cached layer blob whose bytes changed on disk is downloaded again', async () => {
    const image = appendLayers(emptyImage(), [{ layer: layerFromFiles({ 'etc/greeting': 'hello from the base\n'.repeat(100) }) }]);
    const manifest = await image.manifest();
    const [layer] = await image.layers();
    const layerBytes = new Uint8Array(await new Response(layer.compressed()).arrayBuffer());
    const blobs = new Map([[manifest.config.digest, await image.rawConfig()], [manifest.layers[0].digest, layerBytes]]);
    const asked: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      const path = new URL(String(input)).pathname;
      asked.push(path);
      if (path === '/v2/x/base/manifests/1') return new Response(await image.rawManifest() as BodyInit, { headers: { 'content-type': manifest.mediaType!, 'docker-content-digest': await image.digest() } });
      const blob = blobs.get(path.replace('/v2/x/base/blobs/', '') as never);
      return blob ? new Response(blob as BodyInit) : new Response('not found', { status: 404 });
    };
    const store = folderBlobStore(dir);
    const read = async () => {
      const pulled = await fetchRegistryImage(new RegistryClient({ fetch }), 'registry.test/x/base:1', { store });
      const [l] = await pulled.image.layers();
      return (await digestStream(l.compressed())).digest;
    };
    const layerPath = `/v2/x/base/blobs/${manifest.layers[0].digest}`;
    expect(await read()).toBe(manifest.layers[0].digest);
    expect(asked.filter((p) => p === layerPath)).toHaveLength(1);
    expect(await read()).toBe(manifest.layers[0].digest);
    expect(asked.filter((p) => p === layerPath)).toHaveLength(1);
    const file = join(dir, 'sha256', digestHex(manifest.layers[0].digest));
    const bytes = readFileSync(file);
    bytes[100] ^= 0x20;
    writeFileSync(file, bytes);
    expect(await read()).toBe(manifest.layers[0].digest);
    expect(asked.filter((p) => p === layerPath)).toHaveLength(2);
    expect((await digestStream(new Blob([readFileSync(file)]).stream())).digest).toBe(manifest.layers[0].digest);
  });
});
