/** `docker-envs diff` on archives holding several images: --image picks one, otherwise the output says which was taken. */
import { describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../test-support/fixtures';
import type { ImageComparison } from '../core/inspect/compare';
import { main } from './main';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

// go-containerregistry's two-image save: test_image_2 (first in manifest.json) and test_image_1
const BUNDLE = 'go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar';
const ID1 = 'sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e';
const ID2 = 'sha256:930705ce23e3b6ed4c08746b6fe880089c864fbaf62482702ae3fdd66b8c7fe9';

describe.skipIf(!haveFixtures)('docker-envs diff of a two-image archive', () => {
  it('without --image: compares the first image and says so', async () => {
    const r = await run('diff', fixture(BUNDLE), fixture(BUNDLE), '--json');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as ImageComparison;
    expect([c.a.configDigest, c.b.configDigest]).toEqual([ID2, ID2]);
    expect(c.warnings).toEqual([0, 1].map(() => expect.stringMatching(/holds 2 images \(test_image_2, test_image_1\); took the first, test_image_2: choose one with --image NAME:TAG$/)));
  });

  it('--image NAME:TAG once for both sides or twice for A and B; any spelling of the tag', async () => {
    const r = await run('diff', fixture(BUNDLE), fixture(BUNDLE), '--image', 'test_image_2', '--image', 'docker.io/library/test_image_1:latest');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // each side's digest says what it is: a save by docker ≤ 24 stores no manifest, so only the config (the image ID) is shown
    expect(r.out).toContain(`A  ${fixture(BUNDLE)}  test_image_2  config ${ID2}  (`);
    expect(r.out).toContain(`B  ${fixture(BUNDLE)}  test_image_1  config ${ID1}  (`);
    expect(r.out).not.toMatch(/warning/);
    const one = JSON.parse((await run('diff', fixture(BUNDLE), fixture(BUNDLE), '--image', 'test_image_1:latest', '--json')).out) as ImageComparison;
    expect([one.a.configDigest, one.b.configDigest]).toEqual([ID1, ID1]);
    expect(one.warnings).toEqual([]);
  });

  it('--image naming no image of the archive: an error listing the tags it holds', async () => {
    const r = await run('diff', fixture(BUNDLE), fixture(BUNDLE), '--image', 'nope:1');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`has no image tagged nope:1; it holds test_image_2, test_image_1`);
  });

  it('an archive with a stored manifest: both digests, each labelled', async () => {
    const v25 = fixture('go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar');
    const r = await run('diff', v25, v25);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^A {2}\S+hello-world-v25\.tar {2}\(untagged\) {2}manifest sha256:[0-9a-f]{64} {2}config sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44 {2}\(1 layers\)$/);
  });
});
