import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { MediaTypes } from '../oci';
import { layerFromBlob } from './blob-layer';
import { emptyImage, imageFrom } from './image';
import { appendLayers, removeTopLayer, setConfig, setCreated } from './mutate';
import { InvalidImageError, validate } from './validate';
import type { Image } from './types';

const sha = (b: Uint8Array): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const text = async (img: Image): Promise<string> => new TextDecoder().decode(await img.rawManifest());

describe('emptyImage', () => {
  it('is an OCI manifest over a minimal linux/amd64 config, with a stable digest', async () => {
    const img = emptyImage();
    const m = await img.manifest();
    expect(m.mediaType).toBe(MediaTypes.ociManifest);
    expect(m.config.mediaType).toBe(MediaTypes.ociConfig);
    expect(m.layers).toEqual([]);
    const c = await img.config();
    expect([c.os, c.architecture, c.created]).toEqual(['linux', 'amd64', '1970-01-01T00:00:00Z']);
    expect(await img.digest()).toBe(sha(await img.rawManifest()));
    // golden: any change to the empty image's bytes changes every image built from it
    expect(new TextDecoder().decode(await img.rawConfig())).toBe('{"architecture":"amd64","config":{},"created":"1970-01-01T00:00:00Z","history":[],"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}}');
    expect(await img.digest()).toBe(sha(await emptyImage().rawManifest()));
    await validate(img);
  });
  it('takes a platform', async () => {
    const c = await emptyImage({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }).config();
    expect([c.architecture, c.variant]).toEqual(['arm64', 'v8']);
  });
});

describe.skipIf(!haveFixtures)('mutate', () => {
  const tar = readFileSync(fixture('go-containerregistry/pkg/crane/testdata/content.tar'));
  const gz = new Uint8Array(execFileSync('gzip', ['-nc'], { input: tar }));
  const gzLayer = () => layerFromBlob(new Blob([gz]), { mediaType: MediaTypes.dockerLayerGzip });

  it('appendLayers: diff_ids, history, OCI descriptors; the base is unchanged; validate passes', async () => {
    const base = emptyImage();
    const before = await text(base);
    const img = appendLayers(base, [{ layer: gzLayer(), history: { created_by: 'test', comment: 'c' } }, { layer: layerFromBlob(new Blob([tar]), { mediaType: MediaTypes.dockerLayerGzip, compression: 'none' }) }]);
    const c = await img.config();
    expect(c.rootfs.diff_ids).toEqual([sha(tar), sha(tar)]);
    expect(c.history).toEqual([{ created: '1970-01-01T00:00:00Z', created_by: 'test', comment: 'c' }, { created: '1970-01-01T00:00:00Z' }]);
    const m = await img.manifest();
    expect(m.layers).toEqual([
      { mediaType: MediaTypes.ociLayerGzip, digest: sha(gz), size: gz.length },
      { mediaType: MediaTypes.ociLayer, digest: sha(tar), size: tar.length }, // Docker type, plain bytes → OCI tar
    ]);
    expect(m.config.digest).toBe(sha(await img.rawConfig()));
    expect(await text(base)).toBe(before);
    expect((await base.layers()).length).toBe(0);
    const v = await validate(img);
    expect(v.map((l) => l.uncompressedSize)).toEqual([tar.length, tar.length]);
  });

  it('appending with history to a base without history writes {} entries for the base layers', async () => {
    const cfg = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [sha(tar) as `sha256:${string}`] } };
    const base = imageFrom({ config: cfg, layers: [layerFromBlob(new Blob([tar]), { mediaType: MediaTypes.ociLayer })] });
    const withH = await appendLayers(base, [{ layer: gzLayer(), history: { created_by: 'x', created: '2020-01-01T00:00:00Z' } }]).config();
    expect(withH.history).toEqual([{}, { created_by: 'x', created: '2020-01-01T00:00:00Z' }]);
    const without = await appendLayers(base, [{ layer: gzLayer() }]).config();
    expect(without.history).toBeUndefined();
    await validate(appendLayers(base, [{ layer: gzLayer() }]));
  });

  it('validate stops on an aborted signal with its reason', async () => {
    const img = appendLayers(emptyImage(), [{ layer: gzLayer() }]);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(validate(img, { signal: ac.signal })).rejects.toThrow('stop');
  });

  it('removeTopLayer undoes appendLayers byte for byte and keeps empty_layer entries', async () => {
    const base = setCreated(emptyImage(), '2024-01-02T03:04:05Z');
    const img = appendLayers(base, [{ layer: gzLayer() }]);
    expect(await (removeTopLayer(img)).digest()).toBe(await base.digest());
    const cfg = await img.config();
    const withEmpty = imageFrom({
      config: { ...cfg, history: [...cfg.history!, { created_by: 'ENV A=1', empty_layer: true }] },
      layers: await img.layers(),
    });
    const removed = await removeTopLayer(withEmpty).config();
    expect(removed.history).toEqual([{ created_by: 'ENV A=1', empty_layer: true }]);
    expect(removed.rootfs.diff_ids).toEqual([]);
    await expect(removeTopLayer(base).manifest()).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('setConfig merges env and labels by key, null deletes, ports normalised', async () => {
    const a = setConfig(emptyImage(), { env: ['PATH=/usr/bin', 'A=1'], labels: { x: '1', y: '2' }, cmd: ['sh'], exposedPorts: ['80'] });
    const b = setConfig(a, { env: { A: null, B: 'x=y' }, labels: { x: null }, workdir: '/w', user: '1000', entrypoint: ['/bin/e'], exposedPorts: { '80/tcp': null, '53/udp': {} }, platform: { os: 'linux', architecture: 'arm64' } });
    const c = await b.config();
    expect(c.config).toEqual({ Env: ['PATH=/usr/bin', 'B=x=y'], Labels: { y: '2' }, Cmd: ['sh'], WorkingDir: '/w', User: '1000', Entrypoint: ['/bin/e'], ExposedPorts: { '53/udp': {} } });
    expect(c.architecture).toBe('arm64');
    expect((await a.config()).config?.Env).toEqual(['PATH=/usr/bin', 'A=1']);
    await validate(b);
    expect(() => setConfig(emptyImage(), { exposedPorts: ['http'] })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => setConfig(emptyImage(), { env: { 'A=B': 'x' } })).toThrow(/invalid environment variable/);
  });

  it('computes a layer digest once even when manifest, config and digest are all asked', async () => {
    let streams = 0;
    const blob = new Blob([gz]);
    const counting = { stream: () => { streams++; return blob.stream(); }, size: blob.size } as unknown as Blob;
    const img = appendLayers(emptyImage(), [{ layer: layerFromBlob(counting, { mediaType: MediaTypes.ociLayerGzip }) }]);
    await Promise.all([img.manifest(), img.config(), img.digest(), img.rawManifest()]);
    expect(streams).toBe(2); // compressed digest once, diffId once
  });
});

describe.skipIf(!haveFixtures)('validate', () => {
  const tar = readFileSync(fixture('go-containerregistry/pkg/crane/testdata/content.tar'));
  it('lists every problem of a tampered image: layer bytes, config bytes, history count', async () => {
    const good = appendLayers(emptyImage(), [{ layer: layerFromBlob(new Blob([tar]), { mediaType: MediaTypes.ociLayer }) }]);
    const goodManifest = await good.rawManifest();
    const tampered = tar.slice();
    tampered[600] ^= 1;
    const cfg = await good.config();
    const img = imageFrom({
      rawManifest: goodManifest,
      config: { ...cfg, history: [...cfg.history!, { created_by: 'x' }] },
      layers: [layerFromBlob(new Blob([tampered]), { mediaType: MediaTypes.ociLayer, digest: (await good.manifest()).layers[0].digest })],
    });
    const err = await validate(img).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    const p = (err as InvalidImageError).problems;
    expect(p.some((s) => s.startsWith('config digest is'))).toBe(true);
    expect(p.some((s) => s.startsWith('config is'))).toBe(true);
    expect(p.some((s) => s.includes('history has 2'))).toBe(true);
    expect(p.some((s) => s.includes('compressed blob digest is'))).toBe(true);
    expect(p.some((s) => s.includes('uncompressed digest is'))).toBe(true);
  });
  it('reports a corrupt gzip layer as unreadable rather than throwing a raw error', async () => {
    const gz = new Uint8Array(execFileSync('gzip', ['-nc'], { input: tar }));
    gz[gz.length - 5] ^= 1; // break the ISIZE trailer
    const img = appendLayers(emptyImage(), [{ layer: layerFromBlob(new Blob([gz]), { mediaType: MediaTypes.ociLayerGzip, diffId: sha(tar) as `sha256:${string}` }) }]);
    const err = await validate(img).catch((e: unknown) => e) as InvalidImageError;
    expect(err.code).toBe('invalid-image');
    expect(err.problems.join('\n')).toMatch(/cannot be read/);
  });
});
