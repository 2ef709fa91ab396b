/**
 * openImage over each kind of input: tarballs (plain and gzip-wrapped) as Blobs, OCI layout folders, paths
 * through an openPath, several-image archives, a platform no image has, and strings that are nothing.
 * What it opens is checked against skopeo and GNU tar reading the same fixture.
 */
import { execFileSync } from 'node:child_process';
import { openAsBlob, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dirSource, haveSkopeo, skopeoInspect } from '../archive/test-helpers.node';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { sha256 } from '../digest';
import { folderFromPath } from './folder.node';
import { classifyImageString, openImage } from './open';
import { validate } from './validate';

const G = 'go-containerregistry/pkg/v1';
const ONE = `${G}/tarball/testdata/test_image_1.tar`;
const BUNDLE = `${G}/tarball/testdata/test_bundle.tar`;
const LAYOUT = `${G}/layout/testdata/test_index_one_image`;
const GZ = 'trivy/pkg/fanal/test/testdata/alpine-310.tar.gz';
const arm64 = { os: 'linux', architecture: 'arm64' };

/** The test's openPath: what is at a fixture path, as the CLI's would give it. */
const openPath = async (p: string) => {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return undefined;
  return st.isDirectory() ? dirSource(p) : openAsBlob(p);
};

describe('classifyImageString', () => {
  it('prefixes force a path or a reference; anything else is either', () => {
    expect(classifyImageString('docker-archive:/x/a.tar')).toEqual({ kind: 'path', value: '/x/a.tar' });
    expect(classifyImageString('oci:layout')).toEqual({ kind: 'path', value: 'layout' });
    expect(classifyImageString('oci-archive:a.tar')).toEqual({ kind: 'path', value: 'a.tar' });
    expect(classifyImageString('docker://busybox:1')).toEqual({ kind: 'reference', value: 'busybox:1' });
    expect(classifyImageString('localhost:5000/x:1')).toEqual({ kind: 'either', value: 'localhost:5000/x:1' });
    expect(() => classifyImageString('docker:busybox')).toThrow(/docker:\/\/NAME/);
  });
});

describe.skipIf(!haveFixtures)('openImage', () => {
  it('a docker save tarball as a Blob: the image skopeo reads, with its tags', async () => {
    const o = await openImage(await openAsBlob(fixture(ONE)));
    expect(o.source).toBe('archive');
    expect(o.tags).toEqual(['bazel/v1/tarball:test_image_1']);
    expect(o.warnings).toEqual([]);
    await validate(o.image);
    if (haveSkopeo) expect(Buffer.from(await o.image.rawConfig()).equals(skopeoInspect(`docker-archive:${fixture(ONE)}`).config)).toBe(true);
  });

  it('a gzip-wrapped save (a File): unwrapped, the config GNU tar finds after gunzip', { timeout: 20_000 }, async () => {
    const file = new File([await openAsBlob(fixture(GZ))], 'alpine-310.tar.gz');
    const o = await openImage(file);
    expect(o.source).toBe('archive');
    expect(o.archive?.outerCompression).toBe('gzip');
    expect(o.tags).toEqual(['alpine:3.10']);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', fixture(GZ), 'manifest.json'], { encoding: 'utf8' })) as [{ Config: string }];
    const config = execFileSync('tar', ['-xzOf', fixture(GZ), manifest[0].Config]);
    expect(Buffer.from(await o.image.rawConfig()).equals(config)).toBe(true);
  });

  it('an OCI layout folder as a LayoutFolder and as a walkable folder: the same image, its manifest digest skopeo computes', async () => {
    const a = await openImage(dirSource(fixture(LAYOUT)));
    const b = await openImage(folderFromPath(fixture(LAYOUT)));
    expect(a.source).toBe('layout');
    expect(b.source).toBe('layout');
    expect(a.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.manifestDigest).toBe(a.manifestDigest);
    expect(await b.image.digest()).toBe(await a.image.digest());
    if (haveSkopeo) {
      const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${fixture(LAYOUT)}`]);
      expect(a.manifestDigest).toBe(await sha256(new Uint8Array(raw)));
    }
  });

  it('paths through openPath: a tarball, a layout folder, prefixes; a path with nothing there names it', async () => {
    const t = await openImage(fixture(ONE), { openPath });
    expect(t.source).toBe('archive');
    expect(t.tags).toEqual(['bazel/v1/tarball:test_image_1']);
    const l = await openImage(`oci:${fixture(LAYOUT)}`, { openPath });
    expect(l.source).toBe('layout');
    const missing = fixture('no/such/image.tar');
    await expect(openImage(missing, { openPath })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining(`${missing}: no such file or folder`) });
    await expect(openImage(`docker-archive:${missing}`, { openPath })).rejects.toMatchObject({ code: 'invalid-argument' });
    // without a file system a path is never taken for a reference
    await expect(openImage('./base.tar')).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('./base.tar is a path') });
  });

  it('a string that is neither a path nor a reference: invalid-argument naming it, before any network', async () => {
    const fetch = () => { throw new Error('no request may be made'); };
    await expect(openImage('Not A/Reference!', { openPath, fetch })).rejects.toMatchObject({
      code: 'invalid-argument', message: expect.stringMatching(/^"Not A\/Reference!" is neither an image tarball or OCI layout folder on disk nor a registry reference/),
    });
    await expect(openImage('busybox:1', { image: 'x:1', fetch })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('busybox:1 is a registry reference') });
  });

  it('several images: the one named NAME:TAG (any spelling), else the first with a warning; an absent tag lists them', async () => {
    const blob = await openAsBlob(fixture(BUNDLE));
    const first = await openImage(blob, { imageHint: '--image' });
    expect(first.index).toBe(0);
    expect(first.tags).toEqual(['test_image_2']);
    expect(first.warnings).toEqual([expect.stringMatching(/holds 2 images \(test_image_2, test_image_1\); took the first, test_image_2: choose one with --image NAME:TAG$/)]);
    expect((await openImage(blob)).warnings).toEqual([expect.stringMatching(/; took the first, test_image_2$/)]);
    const named = await openImage(blob, { image: 'docker.io/library/test_image_1:latest' });
    expect(named.index).toBe(1);
    expect(await named.image.digest()).toBe(await named.archive!.images[1].image.digest());
    expect(named.warnings).toEqual([]);
    await expect(openImage(blob, { image: 'nope:1' })).rejects.toMatchObject({ code: 'image-not-found', message: expect.stringContaining('it holds test_image_2, test_image_1') });
  });

  it('a platform no image has: platform-not-found naming the platforms there are', async () => {
    await expect(openImage(await openAsBlob(fixture(ONE)), { platform: arm64 })).rejects.toMatchObject({ code: 'platform-not-found', message: expect.stringContaining('linux/amd64') });
    await expect(openImage(fixture(LAYOUT), { openPath, platform: arm64 })).rejects.toMatchObject({ code: 'platform-not-found' });
  });
});
