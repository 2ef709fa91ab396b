import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { digestStream, type Digest } from '../digest';
import { decompressStream } from '../compress';
import type { ConfigFile, Index, Manifest } from '../oci';
import { layerFromBlob } from './blob-layer';
import { imageFrom } from './image';
import { appendLayers, removeTopLayer, setConfig } from './mutate';
import { layerFromFiles } from './content-layer';
import { InvalidImageError, validate } from './validate';
import type { Image } from './types';

// dive's one-layer arm64 image exported as OCI archives with four layer encodings; GNU tar
// unpacks them, and the config's diff_ids (written by the real exporter) are the oracle.
const kinds = ['uncompressed', 'gzip', 'zstd', 'estargz'] as const;
const tmp = mkdtempSync(join(tmpdir(), 'oci-fixtures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function openLayout(dir: string, tamper?: (layer: Uint8Array) => void): Promise<{ image: Image; index: Index; config: ConfigFile }> {
  const blob = (d: string): string => join(dir, 'blobs/sha256', d.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
  const rawManifest = new Uint8Array(readFileSync(blob(index.manifests[0].digest)));
  const manifest = JSON.parse(new TextDecoder().decode(rawManifest)) as Manifest;
  const rawConfig = new Uint8Array(readFileSync(blob(manifest.config.digest)));
  const config = JSON.parse(new TextDecoder().decode(rawConfig)) as ConfigFile;
  const layers = await Promise.all(manifest.layers.map(async (d, i) => {
    let b: Blob = await openAsBlob(blob(d.digest));
    if (tamper) { const bytes = new Uint8Array(await b.arrayBuffer()); tamper(bytes); b = new Blob([bytes]); }
    return layerFromBlob(b, { mediaType: d.mediaType, digest: d.digest, size: d.size, diffId: config.rootfs.diff_ids[i], annotations: d.annotations });
  }));
  return { image: imageFrom({ rawManifest, rawConfig, layers }), index, config };
}

describe.skipIf(!haveFixtures)('dive OCI archives (uncompressed, gzip, zstd, eStargz)', () => {
  beforeAll(() => {
    for (const k of kinds) {
      mkdirSync(join(tmp, k));
      execFileSync('tar', ['-xf', fixture(`dive/.data/test-oci-${k}-image.tar`), '-C', join(tmp, k)]);
    }
  });

  for (const k of kinds) {
    it(`${k}: validate streams the layer and agrees with the exporter's digests and diff_ids`, async () => {
      const { image, index, config } = await openLayout(join(tmp, k));
      expect(await image.digest()).toBe(index.manifests[0].digest);
      const [measured] = await validate(image);
      expect(measured.diffId).toBe(config.rootfs.diff_ids[0]);
      const layer = (await image.layers())[0];
      expect(layer.compression).toBe(k === 'estargz' ? 'gzip' : k === 'uncompressed' ? 'none' : k);
      if (k === 'estargz') {
        // multi-member gzip whose uncompressed size the exporter announced
        expect(measured.uncompressedSize).toBe(Number(layer.annotations!['io.containers.estargz.uncompressed-size']));
      }
    });
  }

  it('uncompressed, gzip and zstd hold the same tar; eStargz decodes (native and fflate) as gzip -dc does', async () => {
    const ids = new Set<Digest>();
    for (const k of ['uncompressed', 'gzip', 'zstd']) ids.add((await validate((await openLayout(join(tmp, k))).image))[0].diffId);
    expect(ids.size).toBe(1);
    const layer = (await (await openLayout(join(tmp, 'estargz'))).image.layers())[0];
    const gz = new Uint8Array(await new Response(layer.compressed()).arrayBuffer());
    const oracle = 'sha256:' + execFileSync('sha256sum', { input: execFileSync('gzip', ['-dc'], { input: gz }) }).toString().split(' ')[0];
    expect(await layer.diffId()).toBe(oracle);
    for (const native of [true, false]) {
      expect((await digestStream(decompressStream(layer.compressed(), 'gzip', { native }))).digest).toBe(oracle);
    }
  });

  it('a mutated image keeps the eStargz annotations and the source layer blob, and validates', async () => {
    const { image } = await openLayout(join(tmp, 'estargz'));
    const img = setConfig(appendLayers(image, [{ layer: layerFromFiles({ 'hello.txt': 'hi\n' }), history: { created_by: 'test' } }]), { env: { A: '1' } });
    const m = await img.manifest();
    const src = (await image.manifest()).layers[0];
    expect(m.layers[0]).toEqual(src);
    expect(m.layers[1].mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const c = await img.config();
    expect(c.history!.length).toBe(2);
    await validate(img);
    // removing the added layer gives back the source's config apart from the env change
    const back = await removeTopLayer(img).config();
    expect(back.rootfs).toEqual((await image.config()).rootfs);
    expect(back.history).toEqual((await image.config()).history);
  });

  it('validate names the tampered layer of each encoding', async () => {
    for (const k of kinds) {
      const { image } = await openLayout(join(tmp, k), (b) => { b[b.length - 20] ^= 0xff; });
      const err = await validate(image).catch((e: unknown) => e);
      expect(err, k).toBeInstanceOf(InvalidImageError);
      expect((err as InvalidImageError).problems.join('\n'), k).toMatch(/layer 0 .*(compressed blob digest is|cannot be read)/);
    }
  });
});
