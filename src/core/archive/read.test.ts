import { openAsBlob, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestStream } from '../digest';
import { validate } from '../image';
import { folderFromPath } from '../image/folder.node';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { readImageArchive } from './read';
import { dirSource, haveSkopeo, skopeoInspect } from './test-helpers.node';
import type { ImageArchive } from './types';

const G = 'go-containerregistry/pkg/v1';

async function open(rel: string, platform?: { os: string; architecture: string }): Promise<ImageArchive> {
  const p = fixture(rel);
  const input = statSync(p).isDirectory() ? dirSource(p) : await openAsBlob(p);
  return readImageArchive(input, platform ? { platform } : {});
}

/** Fixtures skopeo reads: [fixture, dialect, image count, skopeo transport, ref per image]. */
const ORACLE: [string, string, number, 'docker-archive' | 'oci-archive' | 'oci', (string | undefined)[]][] = [
  [`${G}/tarball/testdata/test_image_1.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/tarball/testdata/test_image_2.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/tarball/testdata/test_load_manifest.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/tarball/testdata/test_bundle.tar`, 'docker-legacy', 2, 'docker-archive', ['@0', '@1']],
  [`${G}/tarball/testdata/test_link.tar`, 'docker-legacy', 2, 'docker-archive', ['@0', '@1']],
  [`${G}/tarball/testdata/hello-world-v25.tar`, 'docker-oci', 1, 'docker-archive', ['@0']],
  [`${G}/mutate/testdata/whiteout_image.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/mutate/testdata/overwritten_file.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/mutate/testdata/source_image.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  [`${G}/mutate/testdata/source_image_with_empty_layer_history.tar`, 'docker-legacy', 1, 'docker-archive', ['@0']],
  ['containers-image/docker/archive/fixtures/almostempty.tar', 'docker-legacy', 1, 'docker-archive', ['@0']],
  ['dive/.data/test-oci-uncompressed-image.tar', 'oci-layout', 1, 'oci-archive', [undefined]],
  ['dive/.data/test-oci-gzip-image.tar', 'oci-layout', 1, 'oci-archive', [undefined]],
  ['dive/.data/test-oci-zstd-image.tar', 'oci-layout', 1, 'oci-archive', [undefined]],
  ['dive/.data/test-oci-estargz-image.tar', 'oci-layout', 1, 'oci-archive', [undefined]],
  ['stereoscope/pkg/image/oci/testdata/valid-oci.tar', 'oci-layout', 1, 'oci-archive', [undefined]],
  ['stereoscope/pkg/image/oci/testdata/valid_oci_dir', 'oci-layout', 2, 'oci', ['latest', '1.0']],
  [`${G}/layout/testdata/test_index_one_image`, 'oci-layout', 1, 'oci', [undefined]],
  ['trivy/pkg/fanal/test/testdata/test.oci', 'oci-layout', 1, 'oci', [undefined]],
  ['trivy/pkg/fanal/test/testdata/test_image_tag.oci', 'oci-layout', 1, 'oci', ['0.0.1']],
  ['containers-image/oci/layout/fixtures/delete_image_two_identical_references', 'oci-layout', 2, 'oci', [undefined, undefined]],
];

describe.skipIf(!haveFixtures || !haveSkopeo)('readImageArchive agrees with skopeo', () => {
  it.each(ORACLE)('%s', async (rel, dialect, count, transport, refs) => {
    const a = await open(rel);
    expect(a.dialect).toBe(dialect);
    expect(a.images).toHaveLength(count);
    for (const [i, ai] of a.images.entries()) {
      const ref = refs[i];
      if (transport === 'oci' && ref === undefined && count > 1) continue; // skopeo needs a ref name to pick one
      const sk = skopeoInspect(`${transport}:${fixture(rel)}${ref ? `:${ref}` : ''}`);
      const layers = await ai.image.layers();
      // the config bytes are the very bytes skopeo reads
      expect(Buffer.from(await ai.image.rawConfig()).equals(sk.config)).toBe(true);
      // skopeo reports diff_ids for docker-archive, stored blob digests for OCI
      const ours = await Promise.all(layers.map((l) => (transport === 'docker-archive' ? l.diffId() : l.digest())));
      expect(ours).toEqual(sk.manifest.layers.map((l) => l.digest));
      if (transport !== 'docker-archive') {
        expect(await Promise.all(layers.map((l) => l.size()))).toEqual(sk.manifest.layers.map((l) => l.size));
        expect(ai.manifestDigest).toMatch(/^sha256:/);
      }
    }
  });
});

describe.skipIf(!haveFixtures)('readImageArchive: stored bytes match their digests', () => {
  it.each(ORACLE.filter(([rel]) => !rel.includes('containers-image/oci')))('%s', async (rel) => {
    const a = await open(rel);
    for (const ai of a.images) {
      const layers = await ai.image.layers();
      for (const l of layers) {
        expect((await digestStream(l.compressed())).digest).toBe(await l.digest());
        const u = await digestStream(l.uncompressed());
        expect(u.digest).toBe(await l.diffId());
        expect(u.size).toBe(await l.uncompressedSize());
      }
      await validate(ai.image); // the image module's end-to-end check (digests, sizes, diff_ids, counts)
      const m = await ai.image.manifest();
      expect(m.layers.map((d) => d.digest)).toEqual(await Promise.all(layers.map((l) => l.digest())));
    }
  });
});

describe.skipIf(!haveFixtures)('readImageArchive: dialect details', () => {
  it('resolves a layer.tar that is a tar symlink to another image\'s layer', async () => {
    const a = await open(`${G}/tarball/testdata/test_link.tar`);
    const link = a.images[1];
    expect(link.layerPaths[0]).toMatch(/^b159278a.*\/layer\.tar$/);
    const [l0] = await link.image.layers();
    expect((await digestStream(l0.uncompressed())).digest).toBe(await l0.diffId());
  });

  it('keeps RepoTags and order of a multi-image save', async () => {
    const a = await open(`${G}/tarball/testdata/test_bundle.tar`);
    expect(a.images.map((i) => i.tags)).toEqual([['test_image_2'], ['test_image_1']]);
    expect(new TextDecoder().decode(await a.readMember('./manifest.json'))).toContain('LayerSources');
  });

  it('Docker 25: finds the stored OCI manifest though index.json has "manifests": null', async () => {
    const a = await open(`${G}/tarball/testdata/hello-world-v25.tar`);
    expect(a.images[0].manifestDigest).toBe('sha256:411caf340c828657e915a83ed561a79d2b8150dabad4dc079d881cbfe6f86afe');
    expect(a.images[0].tags).toEqual([]);
    expect(a.images[0].platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect((await a.images[0].image.layers())[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
  });

  it('reads zstd, gzip and eStargz layers by media type and checks them by sniffing', async () => {
    for (const [kind, comp] of [['zstd', 'zstd'], ['gzip', 'gzip'], ['estargz', 'gzip'], ['uncompressed', 'none']]) {
      const a = await open(`dive/.data/test-oci-${kind}-image.tar`);
      expect((await a.images[0].image.layers())[0].compression).toBe(comp);
    }
  });

  it('warns (and trusts the bytes) when a media type lies about compression', async () => {
    const a = await open('containers-image/oci/layout/fixtures/delete_image_two_identical_references');
    expect(a.warnings.join('\n')).toMatch(/says gzip but the bytes are uncompressed/);
    expect(a.images.map((i) => i.tags)).toEqual([['1.0.0'], ['1.0.0']]);
  });

  it('follows nested indexes and Docker lists inside a layout; skips unknown descriptors with a warning', async () => {
    const a = await open(`${G}/layout/testdata/test_index`);
    expect(a.images.map((i) => i.tags)).toEqual([['1'], ['3'], ['4']]);
    expect(a.warnings.join('\n')).toMatch(/application\/vnd\.oci\.descriptor\.v1\+json/);
  });

  it('chooses a platform: default linux/amd64, an explicit one, or an error listing the platforms', async () => {
    const multi = 'containers-image/oci/layout/fixtures/two_images_manifest';
    // amd64 is listed but its manifest blob is absent in this (metadata-only) fixture: the error names the blob
    await expect(open(multi)).rejects.toMatchObject({ code: 'archive-missing-member', message: expect.stringContaining('5b0bcabd') });
    await expect(open(multi, { os: 'linux', architecture: 'arm64' })).rejects.toMatchObject({
      code: 'platform-not-found', message: expect.stringContaining('linux/ppc64le, linux/amd64'),
    });
    await expect(open(multi, { os: 'linux', architecture: 'ppc64le' })).rejects.toMatchObject({
      code: 'archive-missing-member', message: expect.stringContaining('e692418e'),
    });
  });

  it('gives members as raw bytes (links followed) and rejects names outside the archive', async () => {
    const a = await open(`${G}/tarball/testdata/test_image_1.tar`);
    expect(a.members.map((m) => m.name)).toContain('repositories');
    expect(JSON.parse(new TextDecoder().decode(await a.readMember('repositories')))).toHaveProperty(['bazel/v1/tarball']);
    await expect(a.readMember('../../etc/passwd')).rejects.toMatchObject({ code: 'unsafe-path' });
    await expect(a.readMember('nope.json')).rejects.toMatchObject({ code: 'archive-missing-member', message: expect.stringContaining('"nope.json"') });
  });

  it('reads the same layout as a tar and as a folder alike', async () => {
    const t = await open('stereoscope/pkg/image/oci/testdata/valid-oci.tar');
    const d = await open('stereoscope/pkg/image/oci/testdata/valid_oci_dir');
    expect(await t.images[0].image.digest()).toBe(await d.images[0].image.digest());
    expect(d.members).toEqual([]);
    expect(readFileSync(fixture('stereoscope/pkg/image/oci/testdata/valid_oci_dir/oci-layout'), 'utf8')).toContain('1.0.0');
  });

  it('accepts the image module\'s walkable folders (folderFromPath) like a LayoutFolder', async () => {
    const w = await readImageArchive(folderFromPath(fixture('stereoscope/pkg/image/oci/testdata/valid_oci_dir')));
    const d = await open('stereoscope/pkg/image/oci/testdata/valid_oci_dir');
    expect(await Promise.all(w.images.map((i) => i.image.digest()))).toEqual(await Promise.all(d.images.map((i) => i.image.digest())));
    await expect(readImageArchive(folderFromPath(fixture('trivy/pkg/fanal/test/testdata/test_index_json_dir.oci'))))
      .rejects.toMatchObject({ code: 'archive-invalid', message: expect.stringContaining('"index.json" is a directory') });
  });
});
