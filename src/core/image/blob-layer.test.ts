import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { MediaTypes } from '../oci';
import { layerFromBlob, openBlobLayer } from './blob-layer';

const sha = (b: Uint8Array): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

describe.skipIf(!haveFixtures)('layerFromBlob', () => {
  const tar = readFileSync(fixture('go-containerregistry/pkg/crane/testdata/content.tar'));
  const zst = readFileSync(fixture('go-containerregistry/pkg/crane/testdata/content.tar.zst'));
  const gz = new Uint8Array(execFileSync('gzip', ['-nc'], { input: tar }));

  it('computes digest, diffId and sizes of a gzip blob lazily', async () => {
    const l = layerFromBlob(new Blob([gz]), { mediaType: MediaTypes.ociLayerGzip });
    expect(l.compression).toBe('gzip');
    expect(await l.digest()).toBe(sha(gz));
    expect(await l.diffId()).toBe(sha(tar));
    expect(await l.size()).toBe(gz.length);
    expect(await l.uncompressedSize()).toBe(tar.length);
    expect(new Uint8Array(await new Response(l.uncompressed()).arrayBuffer())).toEqual(new Uint8Array(tar));
  });
  it('decodes zstd content.tar.zst to the diffId of content.tar', async () => {
    const l = layerFromBlob(new Blob([zst]), { mediaType: MediaTypes.ociLayerZstd });
    expect(await l.diffId()).toBe(sha(tar));
    expect(await l.digest()).toBe(sha(zst));
  });
  it('an uncompressed layer has digest = diffId, and claims are taken as given', async () => {
    const l = layerFromBlob(new Blob([tar]), { mediaType: MediaTypes.ociLayer });
    expect(await l.digest()).toBe(sha(tar));
    expect(await l.diffId()).toBe(await l.digest());
    const claimed = layerFromBlob(new Blob([tar]), { mediaType: MediaTypes.ociLayer, digest: `sha256:${'0'.repeat(64)}` });
    expect(await claimed.diffId()).toBe(`sha256:${'0'.repeat(64)}`);
  });
  it('memoises: two concurrent callers share one computation', async () => {
    let streams = 0;
    const blob = new Blob([gz]);
    const counting = { stream: () => { streams++; return blob.stream(); }, size: blob.size } as unknown as Blob;
    const l = layerFromBlob(counting, { mediaType: MediaTypes.ociLayerGzip });
    await Promise.all([l.diffId(), l.diffId(), l.uncompressedSize(), l.digest(), l.digest()]);
    expect(streams).toBe(2); // one for the compressed digest, one for the diffId
  });
  it('openBlobLayer trusts the bytes over a Docker media type (docker-archive layers are plain tars)', async () => {
    const l = await openBlobLayer(new Blob([tar]), { mediaType: MediaTypes.dockerLayerGzip });
    expect(l.compression).toBe('none');
    expect(await l.diffId()).toBe(sha(tar));
    expect(() => layerFromBlob(new Blob([tar]), { mediaType: 'application/octet-stream' })).toThrow(/openBlobLayer/);
  });
  it('openBlobLayer refuses bzip2', async () => {
    const bz = readFileSync(fixture('containers-image/pkg/compression/fixtures/Hello.bz2'));
    await expect(openBlobLayer(new Blob([bz]), { mediaType: 'x' })).rejects.toMatchObject({ code: 'unsupported-compression' });
  });
});
