/** Manifests and indexes: fetch by tag or digest with every media type in Accept, verify, pick a platform. */
import { sha256, type Digest } from '../digest';
import { CoreError, DigestMismatchError } from '../errors';
import { checkLayerCount, formatPlatform, MediaTypes, type Descriptor, type Index, type Manifest, type Platform } from '../oci';
import type { RegistryClient } from './client';
import { formatReference, type ImageReference } from './reference';

/** Every manifest media type the client understands, for `Accept`. */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest,
].join(', ');

/** A manifest or index exactly as the registry served it. */
export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
  json: Manifest | Index;
}

/** True for image indexes and Docker manifest lists. */
export function isIndex(m: FetchedManifest): m is FetchedManifest & { json: Index } {
  return m.mediaType === MediaTypes.ociIndex || m.mediaType === MediaTypes.dockerManifestList
    || (Array.isArray((m.json as Index).manifests) && !(m.json as Manifest).config);
}

/** Fetches a manifest by the reference's digest (verified) or tag. */
export async function fetchManifest(client: RegistryClient, ref: ImageReference, what = ref.digest ?? ref.tag ?? 'latest', signal?: AbortSignal): Promise<FetchedManifest> {
  const res = await client.request(ref.registry, ref.repository, `/v2/${ref.repository}/manifests/${what}`, {
    headers: { accept: MANIFEST_ACCEPT }, signal, what: `manifest ${formatReference(ref)}`,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > 4 * 1024 * 1024) throw new CoreError('invalid-image', `manifest of ${formatReference(ref)} is over 4 MiB`);
  const digest = await sha256(bytes);
  if (what.startsWith('sha256:') && digest !== what) throw new DigestMismatchError(what, digest, `manifest of ${formatReference(ref)}`);
  let json: Manifest | Index;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new CoreError('invalid-image', `manifest of ${formatReference(ref)} is not JSON`, { cause: e });
  }
  const layers = (json as { layers?: unknown } | null)?.layers;
  if (Array.isArray(layers)) checkLayerCount(layers.length, `manifest of ${formatReference(ref)}`);
  const mediaType = (json as { mediaType?: string }).mediaType ?? res.headers.get('content-type')?.split(';')[0].trim() ?? '';
  return { bytes, mediaType, digest, json };
}

/** Whether a descriptor's platform is the wanted one (variant matched when asked; arm64's v8 is the default). */
export function platformMatches(p: Platform | undefined, want: Platform): boolean {
  if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
  if (!want.variant) return true;
  const v = p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);
  return v === want.variant;
}

/** Picks the image manifest for `platform` from an index; a clear error lists what is there. */
export function choosePlatform(index: Index, platform: Platform, ref: string): Descriptor {
  const images = index.manifests.filter((d) => d.mediaType !== 'application/vnd.oci.image.index.v1+json' || d.platform);
  const found = images.find((d) => platformMatches(d.platform, platform) && d.platform?.architecture !== 'unknown');
  if (found) return found;
  const have = [...new Set(images.map((d) => (d.platform ? formatPlatform(d.platform) : '?')).filter((p) => !p.startsWith('unknown')))];
  throw new CoreError('platform-not-found', `${ref} has no image for ${formatPlatform(platform)}; it has: ${have.join(', ') || 'none'}`);
}
