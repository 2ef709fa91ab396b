import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { digestStream, sha256 } from '../digest';
import { layerFromBlob } from '../image';
import type { Image } from '../image/types';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { ociValidators } from '../../test-support/oci-schemas';
import { readImageArchive } from './read';
import { normalizeTag } from './tags';
import { dirSource, haveSkopeo, skopeo, skopeoInspect } from './test-helpers.node';
import { writeDockerArchiveToFile } from './file.node.js';
import { writeDockerArchive, writeDockerArchiveTo } from './write';

const tmp = mkdtempSync(join(tmpdir(), 'archive-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const G = 'go-containerregistry/pkg/v1';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function open(path: string) {
  return readImageArchive(statSync(path).isDirectory() ? dirSource(path) : await openAsBlob(path));
}

async function writeFile(items: { image: Image; tags: string[] }[], name: string): Promise<string> {
  const out = join(tmp, name);
  await writeDockerArchiveTo(items, Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
  return out;
}

const ROUND_TRIP = [
  `${G}/tarball/testdata/test_bundle.tar`,
  `${G}/tarball/testdata/test_link.tar`,
  `${G}/tarball/testdata/hello-world-v25.tar`,
  `${G}/mutate/testdata/whiteout_image.tar`,
  'dive/.data/test-oci-zstd-image.tar',
  'dive/.data/test-oci-gzip-image.tar',
  'dive/.data/test-oci-estargz-image.tar',
  'stereoscope/pkg/image/oci/testdata/valid_oci_dir',
  'trivy/pkg/fanal/test/testdata/alpine-310.tar.gz',
];

describe.skipIf(!haveFixtures || !haveSkopeo)('writeDockerArchive round trip', () => {
  const v = haveFixtures ? ociValidators() : undefined;
  it.each(ROUND_TRIP)('%s', { timeout: 30_000 }, async (rel) => {
    const src = await open(fixture(rel));
    const items = src.images.map((ai, i) => ({ image: ai.image, tags: ai.tags.length ? [`docker-envs.test/rt${i}:v${i}`] : [] }));
    const base = rel.replace(/\W+/g, '_');
    const out = await writeFile(items, `${base}.tar`);
    const back = await open(out);
    expect(back.dialect).toBe('docker-oci');
    expect(back.images).toHaveLength(src.images.length);
    for (const [i, ai] of back.images.entries()) {
      const orig = src.images[i].image;
      expect(Buffer.from(await ai.image.rawConfig()).equals(Buffer.from(await orig.rawConfig()))).toBe(true);
      const [l1, l2] = [await orig.layers(), await ai.image.layers()];
      expect(await Promise.all(l2.map((l) => l.diffId()))).toEqual(await Promise.all(l1.map((l) => l.diffId())));
      for (const l of l2) {
        expect(l.compression).toBe('none');
        expect((await digestStream(l.compressed())).digest).toBe(await l.digest());
      }
      expect(ai.tags).toEqual(items[i].tags.map((t) => normalizeTag(t).familiar));
      // skopeo reads it as a docker-archive…
      const sk = skopeoInspect(`docker-archive:${out}:@${i}`);
      expect(Buffer.from(await orig.rawConfig()).equals(sk.config)).toBe(true);
      expect(sk.manifest.layers.map((l) => l.digest)).toEqual(await Promise.all(l1.map((l) => l.diffId())));
      // …and as an OCI archive (by ref name when tagged); copies verify every layer digest
      const ociRef = items[i].tags.length ? `oci-archive:${out}:v${i}` : `oci-archive:${out}`;
      if (items[i].tags.length || back.images.length === 1) {
        skopeo('copy', '-q', `docker-archive:${out}:@${i}`, `oci:${join(tmp, `${base}-d${i}`)}`);
        skopeo('copy', '-q', ociRef, `oci:${join(tmp, `${base}-o${i}`)}`);
      }
      // OCI JSON against the image-spec schemas
      const man = JSON.parse(new TextDecoder().decode(await back.readMember(`blobs/sha256/${ai.manifestDigest!.slice(7)}`)));
      expect(v!.manifest(man), JSON.stringify(v!.manifest.errors)).toBe(true);
    }
    const index = JSON.parse(new TextDecoder().decode(await back.readMember('index.json')));
    expect(v!.index(index), JSON.stringify(v!.index.errors)).toBe(true);
    expect(v!.layout(JSON.parse(new TextDecoder().decode(await back.readMember('oci-layout'))))).toBe(true);
    // deterministic: the same input twice gives the same bytes
    const again = await writeFile(items, `${base}-again.tar`);
    expect(await sha256(readFileSync(again))).toBe(await sha256(readFileSync(out)));
    // one pass into a file (layer sizes learned while streaming, headers fixed up after): the same bytes
    const oneRead = (await open(fixture(rel))).images.map((ai, i) => ({ image: ai.image, tags: items[i].tags }));
    const direct = join(tmp, `${base}-file.tar`);
    expect(await writeDockerArchiveToFile(oneRead, direct)).toBe(statSync(out).size);
    expect(await sha256(readFileSync(direct))).toBe(await sha256(readFileSync(out)));
    // GNU tar lists every member with mtime 0 and owner 0/0
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', out], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(listing.split('\n').filter(Boolean).every((l) => / 0\/0 .* 1970-01-01 00:00 /.test(l))).toBe(true);
  });
});

describe.skipIf(!haveFixtures || !haveSkopeo)('skopeo-written docker-archives', () => {
  it.each([
    ['oci-archive', 'dive/.data/test-oci-uncompressed-image.tar'], // (skopeo refuses zstd → docker-archive: "zstd compression is not supported for docker images")
    ['oci-archive', 'dive/.data/test-oci-gzip-image.tar'],
    ['oci', 'trivy/pkg/fanal/test/testdata/test_image_tag.oci:0.0.1'],
  ])('%s:%s → docker-archive → read back', { timeout: 30_000 }, async (transport, rel) => {
    const out = join(tmp, `sk-${rel.replace(/\W+/g, '_')}.tar`);
    skopeo('copy', '-q', `${transport}:${fixture(rel)}`, `docker-archive:${out}:example.test/sk:1`);
    const a = await open(out);
    expect(a.dialect).toBe('docker-skopeo');
    expect(a.images[0].tags).toEqual(['example.test/sk:1']);
    const sk = skopeoInspect(`docker-archive:${out}`);
    const layers = await a.images[0].image.layers();
    expect(await Promise.all(layers.map((l) => l.diffId()))).toEqual(sk.manifest.layers.map((l) => l.digest));
    for (const l of layers) expect((await digestStream(l.uncompressed())).digest).toBe(await l.diffId());
  });
});

describe.skipIf(!haveFixtures)('writeDockerArchive: verification and tags', () => {
  it('a layer whose bytes do not match its diff_id errors the stream', { timeout: 10_000 }, async () => {
    const src = await open(fixture(`${G}/tarball/testdata/test_image_1.tar`));
    const img = src.images[0].image;
    const [good] = await img.layers();
    const bytes = new Uint8Array(await new Response(good.uncompressed()).arrayBuffer());
    bytes[600] ^= 1; // a byte of the first file's data
    const liar = layerFromBlob(new Blob([bytes]), { mediaType: good.mediaType, compression: 'none', diffId: await good.diffId() });
    const forged: Image = { ...img, layers: async () => [liar] };
    await expect(new Response(writeDockerArchive([{ image: forged, tags: ['x'] }])).arrayBuffer()).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('a layer built here (selfHashed) is not hashed again, but its length is still checked, in both writers', { timeout: 10_000 }, async () => {
    const src = await open(fixture(`${G}/tarball/testdata/test_image_1.tar`));
    const img = src.images[0].image;
    const [good] = await img.layers();
    const bytes = new Uint8Array(await new Response(good.uncompressed()).arrayBuffer());
    const diff = await good.diffId();
    const own = (b: Uint8Array) => ({ ...layerFromBlob(new Blob([b as Uint8Array<ArrayBuffer>]), { mediaType: good.mediaType, compression: 'none', diffId: diff, uncompressedSize: bytes.byteLength }), selfHashed: true });
    const plain = new Uint8Array(await new Response(writeDockerArchive([{ image: img, tags: ['x'] }])).arrayBuffer());
    const selfImg: Image = { ...img, layers: async () => [own(bytes)] };
    expect(sha(new Uint8Array(await new Response(writeDockerArchive([{ image: selfImg, tags: ['x'] }])).arrayBuffer()))).toBe(sha(plain));
    const out = join(tmp, 'self-hashed.tar');
    await writeDockerArchiveToFile([{ image: selfImg, tags: ['x'] }], out);
    expect(sha(new Uint8Array(readFileSync(out)))).toBe(sha(plain));
    // a changed byte goes through (this process vouched for it); a changed length does not
    const short: Image = { ...img, layers: async () => [own(bytes.subarray(0, bytes.byteLength - 512))] };
    await expect(new Response(writeDockerArchive([{ image: short, tags: ['x'] }])).arrayBuffer()).rejects.toMatchObject({ code: 'size-mismatch' });
    await expect(writeDockerArchiveToFile([{ image: short, tags: ['x'] }], join(tmp, 'short.tar'))).rejects.toMatchObject({ code: 'size-mismatch' });
  });

  it('an aborted write errors with the reason', async () => {
    const src = await open(fixture(`${G}/tarball/testdata/test_image_1.tar`));
    const ac = new AbortController();
    const s = writeDockerArchive([{ image: src.images[0].image, tags: [] }], { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(new Response(s).arrayBuffer()).rejects.toThrow('stop');
  });

  it('normalises tags like docker and refuses bad ones', () => {
    expect(normalizeTag('busybox')).toEqual({ full: 'docker.io/library/busybox:latest', familiar: 'busybox:latest', familiarName: 'busybox', tag: 'latest' });
    expect(normalizeTag('docker.io/foo/bar:1').familiar).toBe('foo/bar:1');
    expect(normalizeTag('localhost:5000/a/b:c').full).toBe('localhost:5000/a/b:c');
    expect(normalizeTag('index.docker.io/library/alpine:3').familiar).toBe('alpine:3');
    expect(() => normalizeTag('Busybox')).toThrow(/lowercase/);
    expect(() => normalizeTag('a@sha256:' + '0'.repeat(64))).toThrow(/digest/);
    expect(() => normalizeTag('a:-bad')).toThrow(/not a valid tag/);
  });
});
