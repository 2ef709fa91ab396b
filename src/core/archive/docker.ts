/**
 * Reads `manifest.json`, the list of images `docker save` (every version), skopeo, crane and kaniko
 * write: `[{ Config, RepoTags, Layers, LayerSources?, Parent? }]`, paths relative to the archive root.
 * See moby image/tarexport (save.go) for the writer.
 */
import { isDigest, type Digest } from '../digest';
import { ArchiveError } from '../errors';
import { checkLayerCount, checkManifest, type Descriptor, type Platform } from '../oci';
import { inLanes } from '../stream';
import { buildImage, configPlatform, OPEN_LANES, parseConfig, storedLayer } from './image-parts';
import { parseJson, readBytes, readJson, type Members } from './members';
import { blobPath, invalid } from './oci';
import type { ArchiveDialect, ArchiveImage } from './types';

/** One entry of manifest.json. */
export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  /** descriptors of layers whose stored form is not the one a registry has (foreign, or Docker 25 OCI types), keyed by diff_id */
  LayerSources?: Record<string, Descriptor>;
  Parent?: string;
}

/** Stored manifests of a Docker ≥ 25 archive, by config digest (found through index.json or blobs/). */
export type OciManifestsByConfig = Map<Digest, { digest: Digest; bytes: Uint8Array; platform?: Platform }>;

/** Checks the shape of manifest.json; errors say which field is wrong. */
export function parseDockerManifest(value: unknown): DockerManifestEntry[] {
  if (value === null) {
    throw new ArchiveError('archive-invalid',
      'manifest.json is null: the archive lists no images; re-save the image with docker save');
  }
  if (!Array.isArray(value)) throw new ArchiveError('archive-invalid', 'manifest.json is not a JSON array of images');
  if (value.length === 0) throw new ArchiveError('archive-empty', 'manifest.json lists no images');
  return value.map((v, i) => {
    const e = v as Partial<DockerManifestEntry> | null;
    const where = `manifest.json entry ${i}`;
    if (typeof e !== 'object' || e === null) throw new ArchiveError('archive-invalid', `${where} is not an object`);
    if (typeof e.Config !== 'string' || !e.Config) throw new ArchiveError('archive-invalid', `${where} has no "Config" path`);
    if (!Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) {
      throw new ArchiveError('archive-invalid', `${where} has no "Layers" list of paths`);
    }
    checkLayerCount(e.Layers.length, `${where} ("Layers")`);
    if (e.RepoTags != null && (!Array.isArray(e.RepoTags) || e.RepoTags.some((t) => typeof t !== 'string'))) {
      throw new ArchiveError('archive-invalid', `${where} has a "RepoTags" that is not a list of strings`);
    }
    return { Config: e.Config, RepoTags: e.RepoTags ?? null, Layers: e.Layers, LayerSources: e.LayerSources, Parent: e.Parent };
  });
}

/** Which docker dialect wrote these entries (`hasOciLayout`: oci-layout and index.json exist). */
export function dockerDialect(entries: DockerManifestEntry[], hasOciLayout: boolean): ArchiveDialect {
  const paths = entries.flatMap((e) => [e.Config, ...e.Layers]);
  if (hasOciLayout && paths.every((p) => p.replace(/^\.\//, '').startsWith('blobs/'))) return 'docker-oci';
  const layers = entries.flatMap((e) => e.Layers);
  if (layers.length > 0 && layers.every((p) => p.endsWith('/layer.tar'))) return 'docker-legacy';
  return 'docker-skopeo';
}

/** `blobs/sha256/<hex>` → its digest; undefined for other paths. */
export function digestOfBlobPath(path: string): Digest | undefined {
  const m = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** Builds the images listed in manifest.json. `stored` gives the OCI manifests a Docker ≥ 25 archive keeps. */
export async function readDockerImages(
  m: Members, entries: DockerManifestEntry[], warnings: string[], stored: OciManifestsByConfig = new Map(),
): Promise<ArchiveImage[]> {
  const images: ArchiveImage[] = [];
  for (const [i, e] of entries.entries()) {
    const tags = e.RepoTags ?? [];
    const who = `image ${i}${tags.length ? ` (${tags[0]})` : ''}`;
    const rawConfig = await readBytes(m, e.Config, `${who} config`);
    const config = parseConfig(rawConfig, e.Config);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== e.Layers.length) {
      throw new ArchiveError('archive-invalid',
        `${who}: manifest.json lists ${e.Layers.length} layers but config "${e.Config}" has ${diffIds.length} diff_ids`);
    }
    const configDigest = digestOfBlobPath(e.Config);
    const oci = configDigest ? stored.get(configDigest) : undefined;
    if (oci) {
      // Docker ≥ 25: the OCI manifest is in the archive; its descriptors are the truth for media types and digests.
      const manifest = parseStoredManifest(oci.bytes, oci.digest);
      const layers = await inLanes(manifest.layers, OPEN_LANES, async (d, j) => {
        const blob = await m.blob(e.Layers[j] ?? `blobs/sha256/${d.digest.slice(7)}`, `${who} layer ${j}`);
        return storedLayer(blob, { descriptor: d, diffId: diffIds[j], what: `${who} layer ${j}`, warnings });
      });
      images.push({
        tags, configPath: e.Config, layerPaths: e.Layers, manifestDigest: oci.digest,
        platform: oci.platform ?? configPlatform(config),
        image: buildImage({ rawConfig, layers, rawManifest: oci.bytes }),
      });
      continue;
    }
    const layers = await inLanes(e.Layers, OPEN_LANES, async (path, j) => {
      const blob = await m.blob(path, `${who} layer ${j}`);
      const src = e.LayerSources?.[diffIds[j]];
      // LayerSources describe the stored bytes only when they are the uncompressed tar (digest = diff_id).
      const descriptor = src && isDigest(src.digest) && src.digest === diffIds[j] ? src : undefined;
      return storedLayer(blob, { descriptor, diffId: diffIds[j], what: `${who} layer ${j} ("${path}")`, warnings });
    });
    images.push({
      tags, configPath: e.Config, layerPaths: e.Layers, platform: configPlatform(config),
      image: buildImage({ rawConfig, layers }),
    });
  }
  return images;
}

function parseStoredManifest(bytes: Uint8Array, digest: Digest): { layers: Descriptor[] } {
  return checkManifest(parseJson(bytes, blobPath(digest)), `manifest ${digest}`, invalid);
}

/** Tells a pre-1.10 `docker save` (repositories + `<id>/json`, no manifest.json) apart from a non-image tar. */
export async function explainMissingManifest(m: Members, hasRepositories: boolean): Promise<ArchiveError> {
  if (hasRepositories) {
    let detail = '';
    try {
      const { value } = await readJson(m, 'repositories');
      detail = ` (repositories: ${Object.keys(value as object).join(', ')})`;
    } catch { /* the message below stands without the names */ }
    return new ArchiveError('archive-unsupported',
      `this archive was written by Docker < 1.10 (no manifest.json)${detail}; not supported; re-save it with a newer docker (docker load, then docker save)`);
  }
  return new ArchiveError('archive-unsupported',
    'this tar is not an image archive: it has neither manifest.json (docker save) nor oci-layout/index.json (OCI layout)');
}
