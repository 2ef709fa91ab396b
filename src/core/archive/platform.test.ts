/**
 * Platform choice and manifests that are not images, on archives built with the project's writer and then
 * reshaped as other tools write them (test-support/odd-archives.ts).
 */
import { describe, expect, it } from 'vitest';
import { layoutWithAttestation, onePlatformOfTwo, writtenArchive } from '../../test-support/odd-archives';
import { InspectSession } from '../inspect/session';
import { MediaTypes } from '../oci';
import { readImageArchive } from './read';

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
