import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../test-support/fixtures';
import { haveSkopeo, skopeoInspect } from '../core/archive/test-helpers.node.js';
import type { ArchiveSummary } from '../core/inspect';
import { main } from './main';

/** Runs the CLI in-process and captures its output. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => { f(s); return true; } });
  const code = await main(args, sink((s) => { out += s; }), sink((s) => { err += s; }));
  return { code, out, err };
}

const G = 'go-containerregistry/pkg/v1';
const CASES: [string, string][] = [
  [`${G}/tarball/testdata/test_image_1.tar`, 'docker-archive:@0'],
  [`${G}/tarball/testdata/hello-world-v25.tar`, 'docker-archive:@0'],
  [`${G}/mutate/testdata/whiteout_image.tar`, 'docker-archive:@0'],
  ['dive/.data/test-oci-zstd-image.tar', 'oci-archive:'],
  ['dive/.data/test-oci-gzip-image.tar', 'oci-archive:'],
];

describe.skipIf(!haveFixtures || !haveSkopeo)('docker-envs inspect --json agrees with skopeo', () => {
  it.each(CASES)('%s', async (rel, ref) => {
    const r = await run('inspect', fixture(rel), '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as ArchiveSummary;
    const [transport, at] = ref.split(/:(.*)/);
    const sk = skopeoInspect(`${transport}:${fixture(rel)}${at ? ':' + at : ''}`);
    const img = s.images[0];
    expect(img.configDigest).toBe('sha256:' + createHash('sha256').update(sk.config).digest('hex'));
    expect(img.config).toEqual(JSON.parse(sk.config.toString('utf8')));
    const ours = img.layers.map((l) => (transport === 'docker-archive' ? l.diffId : l.digest));
    expect(ours).toEqual(sk.manifest.layers.map((l) => l.digest));
    expect(img.layers.map((l) => l.diffId)).toEqual(JSON.parse(sk.config.toString('utf8')).rootfs.diff_ids);
  });
});

describe.skipIf(!haveFixtures)('docker-envs inspect', () => {
  it('reports whiteouts, the merged view and wasted space of the whiteout image', async () => {
    const r = await run('inspect', fixture(`${G}/mutate/testdata/whiteout_image.tar`), '--json', '--merged', '--layer', '1');
    const img = (JSON.parse(r.out) as ArchiveSummary).images[0];
    expect(img.layers[1].files!.filter((f) => f.whiteout).map((f) => f.whiteoutTarget)).toEqual(['foo.txt']);
    expect(img.merged!.map((f) => f.path)).toEqual(['bar.txt']);
    expect(img.wastedBytes).toBe(img.layers[0].wastedBytes);
    expect(img.wastedBytes).toBeGreaterThan(0);
  });

  it('prints a table for people', async () => {
    const r = await run('inspect', fixture(`${G}/tarball/testdata/test_bundle.tar`));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Archive: docker-legacy, 2 images/);
    expect(r.out).toMatch(/DIFF ID\s+SIZE\s+FILES\s+WASTED\s+CREATED BY/);
  });

  it.each([
    ['go-containerregistry/pkg/v1/tarball/testdata/null_manifest.tar', /manifest\.json/],
    ['go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar', /1\.10/],
    ['conda-index/tests/index_data/corrupt/noarch/bad_package.tar.bz2', /./],
  ])('fails with a precise error on %s', async (rel, re) => {
    const r = await run('inspect', fixture(rel));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^docker-envs: error \[[a-z-]+\]: /);
    expect(r.err).toMatch(re);
  });

  it('refuses bad usage with exit code 2', async () => {
    expect((await run('inspect')).code).toBe(2);
    expect((await run('inspect', 'x', '--layer', 'top')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    const r = await run('inspect', fixture(`${G}/tarball/testdata/test_image_1.tar`), '--layer', '99');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/out of range/);
  });
});
