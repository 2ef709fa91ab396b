/**
 * Share links: every form field and a realistic 100-package lock round-trip through the fragment, which
 * stays under 4 KB of URL; malformed, truncated, tampered and future-version fragments are refused with a
 * CoreError ('share-link-invalid') and leave nothing half-read.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { explicitLockDigest, lockedPackagesOf, lockedWheelsOf } from '../core/conda/lock-share';
import { CoreError } from '../core/errors';
import { haveFixtures } from '../test-support/fixtures';
import { rChannelLock } from '../test-support/r-channel-lock';
import { initialDraft } from './build-draft';
import { decodeShareLink, draftOfShareLink, encodeShareLink, isShareFragment, shareLinkOfDraft, type ShareLink } from './share-link';

const APP = 'https://docker-envs.example.org/';
const BASE_DIGEST = 'sha256:6a2a4b5c2e0f1d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbc';

async function linkOf(n: number): Promise<ShareLink> {
  const { lock } = rChannelLock(n);
  const draft = {
    ...initialDraft(), base: { kind: 'ref' as const, ref: 'ghcr.io/example-org/base-images/ubuntu:24.04' }, platform: 'linux/amd64',
    channels: [{ id: 1, kind: 'url' as const, value: 'r' }, { id: 2, kind: 'url' as const, value: 'conda-forge' }],
    specs: ['r-base=3.5', 'r-essentials', 'r-tidyverse>=1.2', 'r-shiny', 'r-rmarkdown'].map((value, i) => ({ id: 10 + i, value })),
    prefix: '/opt/conda', strategy: 'layered' as const, maxLayers: '100', variables: 'LANG=C.UTF-8\nR_LIBS_USER=/home/user/R',
    entrypoint: '["/opt/conda/bin/Rscript"]', cmd: '["-e", "sessionInfo()"]', labels: 'org.opencontainers.image.source=https://github.com/example/env\norg.example.team=data',
    tag: 'ghcr.io/example-org/r-env:2024.06', epoch: '1717200000', lock: '',
  };
  const shared = { subdir: 'linux-64', sha256: await explicitLockDigest(lock, 'linux-64'), packages: lockedPackagesOf(lock) };
  return shareLinkOfDraft(draft, { locks: [shared], baseDigest: BASE_DIGEST }, 1);
}

describe.skipIf(!haveFixtures)('share links', () => {
  it('carry every field and a 100-package lock in under 4 KB of URL', async () => {
    const link = await linkOf(100);
    const fragment = encodeShareLink(link);
    const url = `${APP}#${fragment}`;
    expect(url.length).toBeLessThan(4096);
    expect(fragment).toMatch(/^share=1\.[A-Za-z0-9_-]+$/);
    expect(isShareFragment(`#${fragment}`)).toBe(true);
    expect(decodeShareLink(`#${fragment}`)).toEqual(link);
    expect(link.locks![0].packages).toHaveLength(100);
    console.info(`share link of 100 packages: ${url.length} characters of URL`);
  });

  it('restore the form pinned to the base digest, with the lock', async () => {
    const link = await linkOf(3);
    const { patch, channels, specs } = draftOfShareLink(decodeShareLink(encodeShareLink(link)));
    expect(patch.base).toEqual({ kind: 'ref', ref: `ghcr.io/example-org/base-images/ubuntu:24.04@${BASE_DIGEST}` });
    expect(channels).toEqual(['r', 'conda-forge']);
    expect(specs).toEqual(['r-base=3.5', 'r-essentials', 'r-tidyverse>=1.2', 'r-shiny', 'r-rmarkdown']);
    expect(patch).toMatchObject({ platform: 'linux/amd64', maxLayers: '100', epoch: '1717200000', cmd: '["-e", "sessionInfo()"]', lock: '', shared: link.locks });
  });

  it('carry a multi-platform form: its platforms and one lock per platform, in order', async () => {
    const one = await linkOf(5);
    const arm = { ...one.locks![0], subdir: 'linux-aarch64', sha256: 'ef'.repeat(32) };
    const link: ShareLink = { ...one, platform: 'linux/amd64,linux/arm64', locks: [one.locks![0], arm] };
    const read = decodeShareLink(encodeShareLink(link));
    expect(read).toEqual(link);
    expect(draftOfShareLink(read).patch).toMatchObject({ platform: 'linux/amd64,linux/arm64', shared: [one.locks![0], arm] });
    // a lock too few for the platforms named is refused, not half-read
    expect(() => decodeShareLink(encodeShareLink({ ...link, platform: 'linux/amd64,linux/arm64,linux/s390x' })))
      .toThrow(expect.objectContaining({ code: 'share-link-invalid', message: expect.stringMatching(/locks do not match its platforms/) }));
  });

  it('carry the lock\'s pip packages (name, version, wheel URL, sha256) and the form\'s pip list', async () => {
    const base = await linkOf(5);
    const url = (name: string, v: string) => `https://files.pythonhosted.org/packages/ab/cd/${name}-${v}-py3-none-any.whl`;
    const pipLock = `${rChannelLock(5).lock}# pip greeter @ ${url('greeter', '2.0')}#sha256=${'1'.repeat(64)}\n# pip greetlib @ ${url('greetlib', '1.0')}#sha256=${'2'.repeat(64)}\n`;
    const wheels = lockedWheelsOf(pipLock);
    const lock = { subdir: 'linux-64', sha256: await explicitLockDigest(pipLock, 'linux-64'), packages: lockedPackagesOf(pipLock), wheels };
    const draft = { ...initialDraft(), base: { kind: 'ref' as const, ref: 'ghcr.io/example-org/py:1' }, specs: [{ id: 1, value: 'python' }], pip: '--index-url https://pypi.org/simple/\n\n  greeter  \n' };
    const link = shareLinkOfDraft(draft, { locks: [lock], baseDigest: BASE_DIGEST }, 1);
    expect(link.pip).toBe('--index-url https://pypi.org/simple/\ngreeter');
    const read = decodeShareLink(encodeShareLink(link));
    expect(read).toEqual(link);
    expect(read.locks![0].wheels).toEqual([
      { name: 'greeter', version: '2.0', url: url('greeter', '2.0'), sha256: '1'.repeat(64) },
      { name: 'greetlib', version: '1.0', url: url('greetlib', '1.0'), sha256: '2'.repeat(64) },
    ]);
    expect(draftOfShareLink(read).patch).toMatchObject({ pip: '--index-url https://pypi.org/simple/\ngreeter', shared: [lock] });
    // a link without pip packages has no pip field on the wire, and reads with none
    expect(decodeShareLink(encodeShareLink(base)).locks![0]).not.toHaveProperty('wheels');
    expect(draftOfShareLink(decodeShareLink(encodeShareLink(base))).patch.pip).toBe('');
  });

  it('refuse a tampered pip package: malformed on the wire, or altered so the lock no longer hashes as shared', async () => {
    const url = 'https://files.pythonhosted.org/packages/ab/cd/greeter-2.0-py3-none-any.whl';
    const pipLock = `${rChannelLock(3).lock}# pip greeter @ ${url}#sha256=${'1'.repeat(64)}\n`;
    const lock = { subdir: 'linux-64', sha256: await explicitLockDigest(pipLock, 'linux-64'), packages: lockedPackagesOf(pipLock), wheels: lockedWheelsOf(pipLock) };
    const link = { ...(await linkOf(3)), locks: [lock] };
    const wire = (w: string) => {
      // the packed lock as encodeShareLink writes it, with its pip line replaced
      const json = JSON.parse(strFromU8(inflateSync(Uint8Array.from(atob(encodeShareLink(link).slice('share=1.'.length).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))))) as { k: { w: string } };
      expect(json.k.w).toBe(`greeter ${url} ${'1'.repeat(64)}`);
      json.k.w = w;
      const bytes = deflateSync(strToU8(JSON.stringify(json)));
      return `share=1.${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
    };
    for (const [w, why] of [
      [`greeter ${url} ${'1'.repeat(63)}`, /pip package 1 of its lock is malformed/],
      [`greetlib ${url} ${'1'.repeat(64)}`, /pip package 1 of its lock is malformed .*greetlib/],
      [`greeter ${url}`, /pip package 1 of its lock is malformed/],
      ['', /pip packages are malformed/],
    ] as const) {
      expect(() => decodeShareLink(wire(w)), w).toThrow(expect.objectContaining({ code: 'share-link-invalid', message: expect.stringMatching(why) }));
    }
    // well-formed but altered (another wheel's bytes): it reads, and its lock no longer has the digest it travelled with
    const altered = decodeShareLink(wire(`greeter ${url} ${'4'.repeat(64)}`)).locks![0];
    const text = `${rChannelLock(3).lock}# pip greeter @ ${url}#sha256=${altered.wheels![0]!.sha256}\n`;
    expect(await explicitLockDigest(text, 'linux-64')).not.toBe(altered.sha256);
  });

  it('refuse a picked tarball base', () => {
    const draft = { ...initialDraft(), base: { kind: 'file' as const, file: new File([], 'base.tar') } };
    expect(() => shareLinkOfDraft(draft, {}, 1)).toThrow(/tarball/);
  });

  it('refuse malformed, truncated, tampered and unknown-version fragments with a clear error', async () => {
    const fragment = encodeShareLink(await linkOf(30));
    const data = fragment.slice('share=1.'.length);
    const flip = (i: number) => data.slice(0, i) + (data[i] === 'A' ? 'B' : 'A') + data.slice(i + 1);
    const cases: Array<[string, RegExp]> = [
      [fragment.slice(0, Math.floor(fragment.length / 2)), /truncated or corrupt|base64url/],
      [fragment.slice(0, -3), /truncated or corrupt|base64url/],
      [`share=1.${data.slice(0, 40)}!!${data.slice(42)}`, /base64url/],
      [`share=1.${flip(20)}`, /truncated or corrupt|malformed|wrong type|missing/],
      [`share=2.${data}`, /format version 2/],
      ['share=1', /<version>\.<data>/],
      ['share=1.', /truncated or corrupt/],
      ['nothing', /no share data/],
    ];
    for (const [bad, message] of cases) {
      let err: unknown;
      try { decodeShareLink(bad); } catch (e) { err = e; }
      expect(err, bad.slice(0, 30)).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('share-link-invalid');
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('the form was left as it was');
    }
  });
});

// written by the code before multi-platform forms: one lock as the wire's `k`
const OLD_FRAGMENT = 'share=1.pVDLbgIxDPwV5DNs2KrlkG_oH6AenMS7GzUvJQEtQvx7nV2qliNCvtjjiWcyVxhA9ltQICHTaEvNl45m9MlRF_MoFBaSPTDDMKVM-PZxkKheKz6nQR5hqjUVKYSOweCDrEcbBHxtoSw8ci7uis421QY6tuLwQpkMn0oO6xCzb6ANp1mgN4f3tsg02JlhEVNdRRj1OH-2t3wZeDxjtqgc3UcKnECKNtR11r79mxuHitydVHFcw2ADgsJ5CYhS1BPDe-6_QV7h9Gtot7hpO21eqyeCY9vHP3kGEuv_D3LTd_vNWhputx8';

describe('share links made before multi-platform forms', () => {
  it('read as before, and a one-platform link is written with the same bytes', () => {
    const link = decodeShareLink(OLD_FRAGMENT);
    expect(link.platform).toBe('linux/amd64');
    expect(link.locks).toEqual([{ subdir: 'linux-64', sha256: 'cd'.repeat(32), packages: [{ name: 'hello-script', version: '1.0', build: '0', channel: 'https://conda.example.org/main/', subdir: 'linux-64', format: 'conda' }] }]);
    expect(encodeShareLink(link)).toBe(OLD_FRAGMENT);
  });
});
