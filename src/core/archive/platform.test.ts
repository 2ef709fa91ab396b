/**
 * Platform choice and manifests that are not images, on archives built with the project's writer and then
 * reshaped as other tools write them (test-support/odd-archives.ts).
 */
import { describe, expect, it } from 'vitest';
import { layoutWithAttestation, membersOf, onePlatformOfTwo, platformImage, writtenArchive } from '../../test-support/odd-archives';
import { InspectSession } from '../inspect/session';
import { MediaTypes } from '../oci';
import { readImageArchive } from './read';
import { writeDockerArchive } from './write';

const arm64 = { os: 'linux', architecture: 'arm64' };

describe('--platform on archives', () => {
  it('an archive read through manifest.json: the platform asked for, or an error naming the platforms there are', async () => {
    const blob = await writtenArchive({ os: 'linux', architecture: 'amd64' });
    await expect(readImageArchive(blob, { platform: arm64 })).rejects.toMatchObject({
      code: 'platform-not-found', message: 'the archive has no image for linux/arm64; it holds linux/amd64',
    });
    const a = await readImageArchive(blob, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(a.images.map((i) => i.platform)).toEqual([{ os: 'linux', architecture: 'amd64' }]);
  });

  it.each([[true, 'docker-oci'], [false, 'oci-layout']])('an index listing platforms whose blobs are absent (manifest.json: %s)', async (withManifestJson, dialect) => {
    const blob = await onePlatformOfTwo(withManifestJson);
    const a = await readImageArchive(blob);
    expect(a.dialect).toBe(dialect);
    expect(a.images.map((i) => i.platform?.architecture)).toEqual(['amd64']);
    await expect(readImageArchive(blob, { platform: arm64 })).rejects.toMatchObject({
      code: 'platform-not-found',
      message: 'the archive has no image for linux/arm64; it holds linux/amd64 (its index also lists linux/arm64/v8, whose blobs are not in the archive)',
    });
  });
});

describe('a multi-platform image written to an archive', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  const write = () => new Response(writeDockerArchive([{ platforms: [{ image: platformImage(amd64), platform: amd64 }, { image: platformImage(arm64), platform: arm64 }], tags: ['example/multi:1'] }])).blob();

  it('index.json names an index of both platforms under the tag; manifest.json lists the first; each platform reads back, tagged', async () => {
    const blob = await write();
    const members = await membersOf(blob);
    const json = (name: string) => JSON.parse(new TextDecoder().decode(members.get(name)!)) as { manifests: Array<{ mediaType: string; digest: string; platform?: unknown; annotations?: unknown }> };
    const top = json('index.json').manifests;
    expect(top.map((d) => [d.mediaType, d.annotations])).toEqual([[MediaTypes.ociIndex, { 'io.containerd.image.name': 'docker.io/example/multi:1', 'org.opencontainers.image.ref.name': '1' }]]);
    expect(json(`blobs/sha256/${top[0].digest.slice(7)}`).manifests.map((d) => d.platform)).toEqual([{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]);
    expect((JSON.parse(new TextDecoder().decode(members.get('manifest.json')!)) as unknown[]).length).toBe(1);
    // the first platform through manifest.json (its familiar tag), the other through index.json (the full name there)
    for (const [p, tag] of [[undefined, 'example/multi:1'], [amd64, 'example/multi:1'], [arm64, 'docker.io/example/multi:1']] as const) {
      const a = await readImageArchive(blob, p ? { platform: p } : {});
      expect(a.images.map((i) => [i.platform?.architecture, i.tags])).toEqual([[p?.architecture ?? 'amd64', [tag]]]);
    }
    await expect(readImageArchive(blob, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({ code: 'platform-not-found' });
  });

  it('the same images give the same bytes; a multi-platform item without platforms is refused', async () => {
    const [a, b] = await Promise.all([write(), write()]);
    expect(new Uint8Array(await a.arrayBuffer())).toEqual(new Uint8Array(await b.arrayBuffer()));
    await expect(new Response(writeDockerArchive([{ platforms: [], tags: ['x/y:1'] }])).blob()).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('an OCI layout that also holds what is not an image', () => {
  it('an attestation with an empty {} config under the image-config media type is skipped with a warning naming it; the image shows', async () => {
    const { blob, attDigest, configDigest } = await layoutWithAttestation();

    const a = await readImageArchive(blob);
    expect(a.images.map((i) => i.tags)).toEqual([['docker.io/example/app:1']]);
    const warning = `index.json entry 1: skipped ${attDigest}: its config ${configDigest} (${MediaTypes.ociConfig}) has no rootfs.diff_ids, so it is not a container image (an attestation or artifact?)`;
    expect(a.warnings).toContain(warning);
    // the inspector shows the same warning beside the image
    const s = await InspectSession.open(blob, 'layout.tar');
    expect(s.overview.images).toHaveLength(1);
    expect(s.overview.warnings).toContain(warning);
  });
});
