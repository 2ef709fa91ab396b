/**
 * Archives as other tools write them, built from the project's own writer and then reshaped: a save of one
 * platform of a multi-platform image (an index listing platforms whose blobs are absent), and an OCI
 * layout that also holds an attestation with an empty `{}` config under the image-config media type.
 */
import { sha256 } from '../core/digest';
import { appendLayers, emptyImage, layerFromBlob } from '../core/image';
import { writeDockerArchive } from '../core/archive';
import { MediaTypes, type Descriptor, type Platform } from '../core/oci';
import { entryBlob, indexTar, tarBytes, type TarWriteEntry } from '../core/tar';

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** A one-layer image of `platform` as the project writes it (manifest.json + OCI layout), tagged `tag`. */
export async function writtenArchive(platform: Platform, tag = 'example/app:1'): Promise<Blob> {
  return new Response(writeDockerArchive([{ image: platformImage(platform), tags: [tag] }])).blob();
}

/** An image of one layer holding `hello` (the architecture's name), for `platform`. */
export function platformImage(platform: Platform) {
  const layer = layerFromBlob(new Blob([tarBytes([{ name: 'hello', type: 'file', body: enc.encode(platform.architecture) }]) as BlobPart]), { mediaType: MediaTypes.ociLayer });
  return appendLayers(emptyImage({ platform }), [{ layer }]);
}

/** The members of a tar as name → bytes (files only). */
export async function membersOf(tar: Blob): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const e of (await indexTar(tar)).entries) if (e.type === 'file') out.set(e.name, new Uint8Array(await entryBlob(tar, e).arrayBuffer()));
  return out;
}

/** A tar of the members (files, in map order). */
export function tarOf(members: Map<string, Uint8Array>): Blob {
  const entries: TarWriteEntry[] = [...members].map(([name, body]) => ({ name, type: 'file', body }));
  return new Blob([tarBytes(entries) as BlobPart]);
}

/** Stores `bytes` as a blob; returns its digest. */
export async function addBlob(members: Map<string, Uint8Array>, bytes: Uint8Array): Promise<Descriptor['digest']> {
  const d = await sha256(bytes);
  members.set(`blobs/sha256/${d.slice(7)}`, bytes);
  return d;
}

/**
 * What a save of the amd64 image of a two-platform image holds: index.json lists the image index, which
 * names an amd64 manifest (present) and an arm64 one whose blobs are not in the archive.
 */
export async function onePlatformOfTwo(withManifestJson: boolean): Promise<Blob> {
  const members = await membersOf(await writtenArchive({ os: 'linux', architecture: 'amd64' }));
  const amd64 = (JSON.parse(new TextDecoder().decode(members.get('index.json'))) as { manifests: Descriptor[] }).manifests[0];
  const arm64Manifest = json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: amd64, layers: [] }); // its bytes are never stored
  const index = json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [
    { mediaType: MediaTypes.ociManifest, digest: amd64.digest, size: amd64.size, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MediaTypes.ociManifest, digest: await sha256(arm64Manifest), size: arm64Manifest.byteLength, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ] });
  const indexDigest = await addBlob(members, index);
  members.set('index.json', json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [
    { mediaType: MediaTypes.ociIndex, digest: indexDigest, size: index.byteLength, annotations: amd64.annotations },
  ] }));
  if (!withManifestJson) members.delete('manifest.json');
  return tarOf(members);
}

/**
 * An OCI layout (no manifest.json) of the one-layer amd64 image, tagged `1`, whose index.json also lists an
 * attestation (ref name `attestation`): an OCI manifest with no layers and a `{}` config under the image-config type.
 */
export async function layoutWithAttestation(): Promise<{ blob: Blob; attDigest: string; configDigest: string }> {
  const members = await membersOf(await writtenArchive({ os: 'linux', architecture: 'amd64' }));
  members.delete('manifest.json');
  const index = JSON.parse(new TextDecoder().decode(members.get('index.json'))) as { manifests: Descriptor[] };
  const config = enc.encode('{}');
  const configDigest = await addBlob(members, config);
  const attestation = json({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: 2 }, layers: [] });
  const attDigest = await addBlob(members, attestation);
  index.manifests.push({ mediaType: MediaTypes.ociManifest, digest: attDigest, size: attestation.byteLength, annotations: { 'org.opencontainers.image.ref.name': 'attestation' } });
  members.set('index.json', json(index));
  return { blob: tarOf(members), attDigest, configDigest };
}
