/**
 * Malformed JSON documents inside image archives end in a typed error at the boundary where they are
 * read (oci/guards.ts), not in a TypeError while the inspector lists and merges the layers. Archives are
 * written here with the project's tar writer; blobs are named by their real digests.
 */
import { describe, expect, it } from 'vitest';
import { digestHex, sha256 } from '../digest';
import { CoreError } from '../errors';
import { summarizeArchive } from '../inspect';
import { MediaTypes } from '../oci';
import { tarBytes, type TarWriteEntry } from '../tar';
import { readImageArchive } from './read';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));
const layer = tarBytes([{ name: 'etc/hello.txt', type: 'file', body: enc.encode('hello\n') }]);

/** A docker-save tar (manifest.json + config + one layer) whose config gets `patch` applied. */
async function dockerSave(patch: Record<string, unknown>): Promise<Blob> {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [await sha256(layer)] }, history: [{ created_by: 'COPY hello' }], ...patch };
  return new Blob([tarBytes([
    { name: 'manifest.json', type: 'file', body: json([{ Config: 'config.json', RepoTags: ['docs.test/x:1'], Layers: ['layer.tar'] }]) },
    { name: 'config.json', type: 'file', body: json(config) },
    { name: 'layer.tar', type: 'file', body: layer },
  ]) as Uint8Array<ArrayBuffer>]);
}

/** An OCI layout tar; `edit` may change the manifest and the index before they are stored. */
async function ociLayout(edit: { manifest?: (m: Record<string, unknown>) => void; index?: (i: Record<string, unknown>) => void }): Promise<Blob> {
  const blobs: TarWriteEntry[] = [];
  const put = async (b: Uint8Array) => {
    const d = await sha256(b);
    blobs.push({ name: `blobs/sha256/${digestHex(d)}`, type: 'file', body: b });
    return { digest: d, size: b.byteLength };
  };
  const config = json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [await sha256(layer)] } });
  const manifest: Record<string, unknown> = {
    schemaVersion: 2, mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, ...(await put(config)) },
    layers: [{ mediaType: MediaTypes.ociLayer, ...(await put(layer)) }],
  };
  edit.manifest?.(manifest);
  const index: Record<string, unknown> = { schemaVersion: 2, manifests: [{ mediaType: MediaTypes.ociManifest, ...(await put(json(manifest))) }] };
  edit.index?.(index);
  return new Blob([tarBytes([
    { name: 'oci-layout', type: 'file', body: json({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', type: 'file', body: json(index) },
    ...blobs,
  ]) as Uint8Array<ArrayBuffer>]);
}

/** Reads and summarises (listing + merge); resolves to the error's code, or 'clean'. */
async function outcome(b: Blob): Promise<string> {
  try {
    await summarizeArchive(await readImageArchive(b), { merged: true, layerFiles: 'all' });
    return 'clean';
  } catch (e) {
    if (e instanceof CoreError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

describe('malformed documents in image archives end in typed errors', () => {
  it('the fixtures written here read cleanly', async () => {
    expect(await outcome(await dockerSave({}))).toBe('clean');
    expect(await outcome(await ociLayout({}))).toBe('clean');
  });

  it('a history that is not a list', async () => {
    expect(await outcome(await dockerSave({ history: 'not a list' }))).toMatch(/^archive-invalid: .*"history" is "not a list", not a list/);
  });

  it('a null history entry', async () => {
    expect(await outcome(await dockerSave({ history: [null] }))).toMatch(/^archive-invalid: .*history\[0\] is null/);
  });

  it('a created_by that is not a string', async () => {
    expect(await outcome(await dockerSave({ history: [{ created_by: 42 }] }))).toMatch(/^archive-invalid: .*"created_by" is 42, not a string/);
  });

  it('a null entry in index.json manifests', async () => {
    expect(await outcome(await ociLayout({ index: (i) => { (i.manifests as unknown[]).push(null); } }))).toMatch(/^archive-invalid: index\.json manifests\[1\]: the descriptor is null/);
  });

  it('a null layer descriptor in a manifest', async () => {
    expect(await outcome(await ociLayout({ manifest: (m) => { m.layers = [null]; } }))).toMatch(/^archive-invalid: .*layers\[0\]: the descriptor is null/);
  });

  it('a layer descriptor without a media type', async () => {
    expect(await outcome(await ociLayout({ manifest: (m) => { delete (m.layers as Record<string, unknown>[])[0].mediaType; } })))
      .toMatch(/^archive-invalid: .*layers\[0\]: the descriptor's mediaType is missing, not a string/);
  });

  it('an index entry whose media type is not a string', async () => {
    expect(await outcome(await ociLayout({ index: (i) => { (i.manifests as Record<string, unknown>[])[0].mediaType = 7; } })))
      .toMatch(/^archive-invalid: index\.json manifests\[0\]: the descriptor's mediaType is 7/);
  });
});
