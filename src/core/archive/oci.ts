/**
 * Reads an OCI image layout (image-spec image-layout.md): `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 * Indexes may nest and may hold Docker manifest lists; each top-level entry yields one image, a
 * multi-platform one after platform choice.
 */
import { isDigest, sha256, type Digest } from '../digest';
import { ArchiveError, DigestMismatchError, SizeMismatchError } from '../errors';
import { checkIndex, checkManifest, formatPlatform, MediaTypes, type Descriptor, type GuardFail, type Platform } from '../oci';
import { inLanes } from '../stream';
import { buildImage, configPlatform, OPEN_LANES, parseConfig, storedLayer } from './image-parts';
import { parseJson, readBytes, readJson, type Members } from './members';
import type { ArchiveImage } from './types';

const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MediaTypes.ociConfig, MediaTypes.dockerConfig]);
const MAX_DEPTH = 8;
const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** How the document guards fail inside an archive. */
export const invalid: GuardFail = (message) => new ArchiveError('archive-invalid', message);

/** Where a blob lives in a layout. */
export function blobPath(d: Digest): string {
  return `blobs/sha256/${d.slice('sha256:'.length)}`;
}

/** Reads a small blob (manifest, index, config) and checks its digest and size. */
export async function readVerifiedBlob(m: Members, d: Descriptor, what: string): Promise<Uint8Array> {
  if (!isDigest(d.digest)) throw new ArchiveError('archive-invalid', `${what}: descriptor has an invalid digest ${JSON.stringify(d.digest)}`);
  const bytes = await readBytes(m, blobPath(d.digest), what);
  if (typeof d.size === 'number' && d.size !== bytes.byteLength) throw new SizeMismatchError(d.size, bytes.byteLength, `${what} ${d.digest}`);
  const actual = await sha256(bytes);
  if (actual !== d.digest) throw new DigestMismatchError(d.digest, actual, `${what} ${blobPath(d.digest)}`);
  return bytes;
}

/** Reads index.json; "manifests": null is returned as an empty list (Docker 25 saves by image ID). */
export async function readIndexJson(m: Members): Promise<{ manifests: Descriptor[]; wasNull: boolean }> {
  const { value } = await readJson(m, 'index.json');
  const { index, wasNull } = checkIndex(value, 'index.json', invalid);
  return { manifests: index.manifests, wasNull };
}

interface Candidate { desc: Descriptor; platform?: Platform }

/** Does `have` satisfy `want`? A missing variant on either side matches any (arm64 means v8). */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have || want.os !== have.os || want.architecture !== have.architecture) return false;
  const norm = (p: Platform): string | undefined => p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);
  return !want.variant || !have.variant ? true : norm(want) === norm(have);
}

/** Default linux/amd64, else the only one; an explicit platform: the matching one, or undefined. */
function choosePlatform(cands: Candidate[], want: Platform | undefined, where: string): Candidate | undefined {
  const usable = cands.filter((c) => c.platform?.os !== 'unknown'); // buildkit attestations say unknown/unknown
  if (want) return usable.find((c) => platformMatches(want, c.platform));
  if (usable.length === 1) return usable[0];
  const amd64 = usable.find((c) => platformMatches({ os: 'linux', architecture: 'amd64' }, c.platform));
  if (amd64) return amd64;
  const list = usable.map((c) => (c.platform ? formatPlatform(c.platform) : 'unspecified')).join(', ');
  throw new ArchiveError('platform-not-found',
    `${where} holds ${usable.length} platforms (${list}) and none is linux/amd64; choose one with the platform option`);
}

/**
 * The images of platform `want` (all of them without one). None → 'platform-not-found' naming the
 * platforms the archive holds (its images', and `offered`: those of indexes no image was read from), and
 * those an index lists whose blobs are not in it (`absent`).
 */
export function keepPlatform(images: ArchiveImage[], want: Platform | undefined, absent: string[], offered: string[] = []): ArchiveImage[] {
  if (!want) return images;
  const hits = images.filter((i) => platformMatches(want, i.platform));
  if (hits.length) return hits;
  const held = [...new Set([...images.map((i) => (i.platform ? formatPlatform(i.platform) : 'unspecified')), ...offered])];
  const listed = [...new Set(absent)].filter((p) => !held.includes(p));
  throw new ArchiveError('platform-not-found', `the archive has no image for ${formatPlatform(want)}; it holds ${held.join(', ') || 'none'}`
    + (listed.length ? ` (its index also lists ${listed.join(', ')}, whose blobs are not in the archive)` : ''));
}

/** Platforms that the indexes among `manifests` list but whose manifest blobs are absent (a save of one platform of a multi-platform image). */
export async function absentPlatforms(m: Members, manifests: Descriptor[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of manifests) {
    if (!INDEX_TYPES.has(d.mediaType) || !isDigest(d.digest) || !(await m.has(blobPath(d.digest)))) continue;
    let cands: Candidate[];
    try { cands = await flatten(m, d, 1, [], 'index.json'); } catch { continue; } // reading the images reports it
    for (const c of cands) {
      if (c.platform && c.platform.os !== 'unknown' && isDigest(c.desc.digest) && !(await m.has(blobPath(c.desc.digest)))) out.push(formatPlatform(c.platform));
    }
  }
  return out;
}

/** Flattens an index into its image manifests (nested indexes and Docker lists followed). */
async function flatten(m: Members, d: Descriptor, depth: number, warnings: string[], where: string): Promise<Candidate[]> {
  if (depth > MAX_DEPTH) throw new ArchiveError('archive-invalid', `${where}: indexes nest deeper than ${MAX_DEPTH}`);
  const bytes = await readVerifiedBlob(m, d, `${where} index`);
  const { index: idx } = checkIndex(parseJson(bytes, blobPath(d.digest)), `${where} index ${d.digest}`, invalid);
  const out: Candidate[] = [];
  for (const [i, c] of idx.manifests.entries()) {
    const sub = `${where} > ${i}`;
    if (INDEX_TYPES.has(c.mediaType)) out.push(...(await flatten(m, c, depth + 1, warnings, sub)));
    else if (MANIFEST_TYPES.has(c.mediaType) && !c.artifactType) out.push({ desc: c, platform: c.platform });
    else if (c.artifactType) warnings.push(`${sub}: skipped an artifact of type ${c.artifactType}`);
    else warnings.push(`${sub}: skipped a descriptor of type ${c.mediaType} (not an image manifest or index)`);
  }
  return out;
}

function tagsOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const name = a[CONTAINERD_NAME] ?? a[REF_NAME];
  return name ? [name] : [];
}

/** True for a JSON value with a `rootfs.diff_ids` list: what makes a config an image's (parseConfig checks the digests). */
function hasDiffIds(v: unknown): boolean {
  const rootfs = (v as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs;
  return typeof rootfs === 'object' && rootfs !== null && Array.isArray(rootfs.diff_ids);
}

/** Reads one image manifest and its config; returns undefined (with a warning) for non-image artifacts. */
async function readImage(m: Members, d: Descriptor, tags: string[], platform: Platform | undefined, warnings: string[], where: string): Promise<ArchiveImage | undefined> {
  const rawManifest = await readVerifiedBlob(m, d, `${where} manifest`);
  const man = checkManifest(parseJson(rawManifest, blobPath(d.digest)), `${where}: manifest ${d.digest}`, invalid);
  if (!CONFIG_TYPES.has(man.config.mediaType)) {
    warnings.push(`${where}: skipped ${d.digest}: its config type ${man.config.mediaType} is not a container image config (an artifact?)`);
    return undefined;
  }
  const rawConfig = await readVerifiedBlob(m, man.config, `${where} config`);
  const configPath = blobPath(man.config.digest);
  if (!hasDiffIds(parseJson(rawConfig, configPath))) {
    // attestations and artifacts may carry an empty `{}` config under an image-config media type
    warnings.push(`${where}: skipped ${d.digest}: its config ${man.config.digest} (${man.config.mediaType}) has no rootfs.diff_ids, so it is not a container image (an attestation or artifact?)`);
    return undefined;
  }
  const config = parseConfig(rawConfig, configPath);
  const ids = config.rootfs.diff_ids;
  if (ids.length !== man.layers.length) {
    throw new ArchiveError('archive-invalid', `${where}: manifest ${d.digest} has ${man.layers.length} layers but its config has ${ids.length} diff_ids`);
  }
  const layerPaths = man.layers.map((l) => {
    if (!isDigest(l.digest)) throw new ArchiveError('archive-invalid', `${where}: a layer descriptor has an invalid digest ${JSON.stringify(l.digest)}`);
    return blobPath(l.digest);
  });
  const layers = await inLanes(man.layers, OPEN_LANES, async (l, i) =>
    storedLayer(await m.blob(layerPaths[i], `${where} layer ${i}`), { descriptor: l, diffId: ids[i], what: `${where} layer ${i}`, warnings }));
  return {
    tags, configPath, layerPaths, manifestDigest: d.digest, platform: platform ?? configPlatform(config),
    image: buildImage({ rawConfig, layers, rawManifest }),
  };
}

/** Reads every image of an OCI layout (platform choice applied to multi-platform entries). */
export async function readOciImages(m: Members, manifests: Descriptor[], want: Platform | undefined, warnings: string[]): Promise<ArchiveImage[]> {
  const images: ArchiveImage[] = [];
  const skipped: string[] = [];
  // Untagged platform-specific manifests at the top level form one multi-platform image.
  const loose: Candidate[] = [];
  const entries: { tags: string[]; cands: Candidate[]; multi: boolean; where: string }[] = [];
  for (const [i, d] of manifests.entries()) {
    const where = `index.json entry ${i}`;
    if (INDEX_TYPES.has(d.mediaType)) entries.push({ tags: tagsOf(d), cands: await flatten(m, d, 1, warnings, where), multi: true, where });
    else if (MANIFEST_TYPES.has(d.mediaType)) {
      if (d.platform && tagsOf(d).length === 0) loose.push({ desc: d, platform: d.platform });
      else entries.push({ tags: tagsOf(d), cands: [{ desc: d, platform: d.platform }], multi: false, where });
    } else {
      skipped.push(`${where} (${d.mediaType})`);
      warnings.push(`${where}: skipped a descriptor of type ${d.mediaType} (not an image manifest or index)`);
    }
  }
  if (loose.length) entries.push({ tags: [], cands: loose, multi: loose.length > 1, where: 'index.json' });
  const absent: string[] = [];
  const offered: string[] = []; // platforms of multi-platform entries that do not hold the one asked for
  for (const e of entries) {
    if (e.cands.length === 0) { skipped.push(`${e.where} (an index with no image manifests)`); continue; }
    let cands = e.cands;
    if (e.multi) {
      // a save of one platform of a multi-platform image lists the others without their blobs
      const present: Candidate[] = [];
      for (const c of cands) {
        if (isDigest(c.desc.digest) && !(await m.has(blobPath(c.desc.digest)))) {
          if (c.platform && c.platform.os !== 'unknown') absent.push(formatPlatform(c.platform));
        } else present.push(c);
      }
      if (present.length) cands = present;
    }
    const c = e.multi ? choosePlatform(cands, want, e.where) : cands[0];
    if (!c) { // not the platform asked for: keepPlatform says what there is
      for (const x of cands) if (x.platform && x.platform.os !== 'unknown') offered.push(formatPlatform(x.platform));
      continue;
    }
    const img = await readImage(m, c.desc, e.tags, c.platform, warnings, e.where);
    if (img) images.push(img);
    else skipped.push(`${e.where} (an artifact or attestation, not an image)`);
  }
  if (images.length === 0 && offered.length === 0) {
    throw new ArchiveError('image-not-found',
      `index.json has no usable image${skipped.length ? `; skipped: ${skipped.join(', ')}` : ' (it lists no manifests)'}`);
  }
  return keepPlatform(images, want, absent, offered);
}
