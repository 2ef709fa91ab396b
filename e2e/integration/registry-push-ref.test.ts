/**
 * `push REF REF2` of an image read from a registry, unchanged: the registry at REF2 holds the very manifest
 * bytes of REF (skopeo inspect --raw gives the same sha256), Docker v2s2, OCI and zstd-layer manifests alike,
 * within one registry (layers mounted) and to another one (layers uploaded, with credentials). A changed image
 * (a label added) gets a manifest of its own.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setConfig } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { fetchRegistryImage, pushImage, RegistryClient } from '../../src/core/registry';
import { runCli as cli } from '../../src/test-support/cli';
import { haveRegistries, registries, registryImages, type HarnessRegistry } from '../harness/env';

/** sha256 of the manifest bytes skopeo reads at `ref` (no platform choice: the manifest the tag names). */
function rawDigest(reg: HarnessRegistry, ref: string): string {
  const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', ...(reg.creds ? ['--creds', `${reg.creds.user}:${reg.creds.password}`] : []), `docker://${ref}`]);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

describe.skipIf(!haveRegistries)('pushing an image read from a registry keeps its manifest bytes', () => {
  // the single-manifest images: a tag naming an index would be pushed as the one platform's image
  const names = Object.entries(registryImages).filter(([, img]) => img.platforms.length === 1 && !/debian/i.test(img.ref)).map(([name]) => name);

  it.each(names)('%s: within the open registry and to the htpasswd one', { timeout: 120_000 }, async (name) => {
    const { open, basic } = registries!;
    const src = `${open.host}/${registryImages[name].ref}`;
    const want = rawDigest(open, src);
    const mounted = await cli('push', src, `${open.host}/pushed-ref/${name.toLowerCase()}:1`);
    expect(mounted.code, mounted.err).toBe(0);
    expect(mounted.out).toContain(want);
    expect(rawDigest(open, `${open.host}/pushed-ref/${name.toLowerCase()}:1`)).toBe(want);
    const other = `${basic.host}/pushed-ref/${name.toLowerCase()}:1`;
    const uploaded = await cli('push', src, other, '--creds', `${basic.creds!.user}:${basic.creds!.password}`);
    expect(uploaded.code, uploaded.err).toBe(0);
    expect(rawDigest(basic, other)).toBe(want);
  });

  it('a pulled image with a label added is pushed with a new OCI manifest, its layers mounted', { timeout: 60_000 }, async () => {
    const { open } = registries!;
    const src = `${open.host}/${registryImages.busyboxAmd64.ref}`;
    const pulled = await fetchRegistryImage(new RegistryClient(), src);
    const changed = setConfig(pulled.image, { labels: { 'org.example.changed': 'yes' } });
    const res = await pushImage(new RegistryClient(), changed, `${open.host}/pushed-ref/changed:1`);
    expect(res.digest).not.toBe(pulled.manifestDigest);
    expect(res.mediaType).toBe(MediaTypes.ociManifest);
    expect(rawDigest(open, `${open.host}/pushed-ref/changed:1`)).toBe(res.digest);
    expect(res.blobs.filter((b) => b.how === 'uploaded')).toHaveLength(1); // the config alone
  });
});
