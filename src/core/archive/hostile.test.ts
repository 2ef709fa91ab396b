import { execFileSync } from 'node:child_process';
import { mkdtempSync, openAsBlob, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { readImageArchive } from './read';
import { spillToTempFile } from './spill.node';
import { dirSource } from './test-helpers.node';

const tmp = mkdtempSync(join(tmpdir(), 'archive-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const G = 'go-containerregistry/pkg/v1';
const T = 5_000; // per-test timeout: a hang is a failure

async function read(pathOrBlob: string | Blob) {
  if (typeof pathOrBlob !== 'string') return readImageArchive(pathOrBlob, { spill: spillToTempFile });
  const input = statSync(pathOrBlob).isDirectory() ? dirSource(pathOrBlob) : await openAsBlob(pathOrBlob);
  return readImageArchive(input, { spill: spillToTempFile });
}

/** Broken inputs and the precise error each must give, with the reason skopeo/docker would refuse them too. */
const BROKEN: [string, string, RegExp][] = [
  [`${G}/tarball/testdata/no_manifest.tar`, 'archive-unsupported', /Docker < 1\.10.*re-save it with a newer docker/],
  [`${G}/tarball/testdata/null_manifest.tar`, 'archive-invalid', /manifest\.json is null/],
  ['stereoscope/pkg/image/oci/testdata/no_manifests', 'image-not-found', /"manifests": null/],
  ['stereoscope/pkg/image/oci/testdata/invalid_file', 'archive-invalid', /"index\.json" is not valid JSON/],
  ['stereoscope/pkg/image/oci/testdata/valid_manifest', 'size-mismatch', /0 bytes, expected 424/],
  ['trivy/pkg/fanal/test/testdata/test_bad_index_json.oci', 'archive-invalid', /"index\.json" is not valid JSON/],
  ['trivy/pkg/fanal/test/testdata/test_index_json_dir.oci', 'archive-invalid', /"index\.json" is a directory/],
  ['trivy/pkg/fanal/test/testdata/test_invalid_oci_image.oci', 'image-not-found', /no usable image.*application\/badmedia\+json/],
  ['trivy/pkg/fanal/test/testdata/test_no_valid_manifests.oci', 'image-not-found', /lists no manifests/],
  ['trivy/pkg/fanal/image/testdata/single', 'archive-missing-member', /blobs\/sha256\/56ae38f2/],
  [`${G}/layout/testdata/test_gc_image_unknown_mediatype`, 'image-not-found', /application\/vnd\.oci\.descriptor\.v1\+json/],
  [`${G}/layout/testdata/test_index_media_type`, 'image-not-found', /artifact/],
  ['regclient/testdata/external', 'image-not-found', /no usable image/],
  ['containers-image/oci/layout/fixtures/delete_image_only_one_image', 'size-mismatch', /config .* is 740 bytes, expected 585/],
  ['containers-image/oci/layout/fixtures/name_lookups', 'archive-missing-member', /aaaaaaaa/],
  // tar files that are not image archives
  ['dive/.data/test-gzip-image.tar', 'archive-unsupported', /not an image archive/],
  ['tar-rs/tests/archives/simple.tar', 'archive-unsupported', /neither manifest\.json .* nor oci-layout/],
];

describe.skipIf(!haveFixtures)('readImageArchive: broken fixtures give precise errors', () => {
  it.each(BROKEN)('%s → %s', { timeout: T }, async (rel, code, message) => {
    await expect(read(fixture(rel))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it.each(['absolute1.tar', 'absolute2.tar', 'relative0.tar', 'relative2.tar', 'symlink.tar', 'dirsymlink.tar', 'dirsymlink2a.tar', 'dirsymlink2b.tar'])(
    'tar_traversal/%s: never read outside, no image', { timeout: T }, async (name) => {
      await expect(read(fixture(`conda/tests/data/tar_traversal/${name}`))).rejects.toMatchObject({ code: 'archive-unsupported' });
    });
});

describe('readImageArchive: hostile bytes', () => {
  it('0-byte file', { timeout: T }, async () => {
    await expect(read(new Blob([]))).rejects.toMatchObject({ code: 'archive-empty', message: expect.stringMatching(/empty \(0 bytes\)/) });
  });

  it('random bytes', { timeout: T }, async () => {
    let x = 12345;
    const bytes = Uint8Array.from({ length: 64 * 1024 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24));
    await expect(read(new Blob([bytes]))).rejects.toMatchObject({ code: 'archive-invalid', message: expect.stringMatching(/not a tar archive/) });
  });

  it.skipIf(!haveFixtures)('truncated tar: the cut is reported', { timeout: T }, async () => {
    const full = readFileSync(fixture(`${G}/tarball/testdata/test_bundle.tar`));
    await expect(read(new Blob([full.subarray(0, 7000)]))).rejects.toMatchObject({ code: 'tar-truncated' });
  });

  it.skipIf(!haveFixtures)('corrupt gzip wrapper', { timeout: T }, async () => {
    const gz = execFileSync('gzip', ['-c', fixture(`${G}/tarball/testdata/test_image_1.tar`)]);
    const bad = Buffer.from(gz);
    for (let i = 40; i < 200; i++) bad[i] ^= 0x5a;
    await expect(read(new Blob([bad]))).rejects.toMatchObject({ code: 'compression-corrupt' });
    await expect(read(new Blob([gz.subarray(0, gz.length / 2)]))).rejects.toMatchObject({ code: 'compression-corrupt' });
  });

  it.skipIf(!haveFixtures)('a symlinked layer pointing outside the archive is refused', { timeout: T }, async () => {
    const dir = join(tmp, 'evil');
    execFileSync('mkdir', ['-p', `${dir}/abc`]);
    execFileSync('cp', [fixture(`${G}/tarball/testdata/test_image_1.tar`), `${dir}/base.tar`]);
    execFileSync('tar', ['-xf', `${dir}/base.tar`, '-C', dir]);
    const cfg = '6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e.json';
    writeFileSync(`${dir}/manifest.json`, JSON.stringify([{ Config: cfg, RepoTags: ['evil:1'], Layers: ['abc/layer.tar'] }]));
    execFileSync('ln', ['-s', '../../../etc/passwd', `${dir}/abc/layer.tar`]);
    execFileSync('tar', ['-cf', `${tmp}/evil.tar`, '-C', dir, 'manifest.json', cfg, 'abc/layer.tar']);
    await expect(read(`${tmp}/evil.tar`)).rejects.toMatchObject({ code: 'unsafe-path', message: expect.stringContaining('abc/layer.tar -> ../../../etc/passwd') });
  });
});

describe.skipIf(!haveFixtures)('readImageArchive: gzip-wrapped saves', () => {
  it('trivy alpine-310.tar.gz (skopeo refuses it) through a temp file', { timeout: 20_000 }, async () => {
    const a = await read(fixture('trivy/pkg/fanal/test/testdata/alpine-310.tar.gz'));
    expect(a.outerCompression).toBe('gzip');
    expect(a.dialect).toBe('docker-legacy');
    expect(a.images[0].tags).toEqual(['alpine:3.10']);
    // the same bytes as GNU tar sees after gunzip
    const manifest = execFileSync('tar', ['-xzOf', fixture('trivy/pkg/fanal/test/testdata/alpine-310.tar.gz'), 'manifest.json']);
    expect(Buffer.from(await a.readMember('manifest.json')).equals(manifest)).toBe(true);
  });

  it('multi-image save piped through gzip reads like the plain one (default in-memory spill)', async () => {
    const gz = execFileSync('gzip', ['-c', fixture(`${G}/tarball/testdata/test_bundle.tar`)]);
    const a = await readImageArchive(new Blob([gz]));
    const b = await read(fixture(`${G}/tarball/testdata/test_bundle.tar`));
    expect(a.outerCompression).toBe('gzip');
    expect(await Promise.all(a.images.map((i) => i.image.digest()))).toEqual(await Promise.all(b.images.map((i) => i.image.digest())));
  });
});
