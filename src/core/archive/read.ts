/**
 * readImageArchive: one entry point for every image-archive dialect (see ArchiveDialect), as a
 * Blob (tar, or gzip-wrapped tar) or as a folder holding an OCI layout.
 */
import { decompressStream, detectCompression } from '../compress';
import { isDigest, sha256, type Digest } from '../digest';
import { ArchiveError, CoreError, TarError } from '../errors';
import { describe, type Descriptor } from '../oci';
import { capBytes } from '../stream';
import { indexTar } from '../tar';
import type { TarEntry } from '../tar/types';
import { dockerDialect, explainMissingManifest, parseDockerManifest, readDockerImages, type OciManifestsByConfig } from './docker';
import { FolderMembers, readBytes, readJson, TarMembers, WalkedFolderMembers, type Members } from './members';
import { absentPlatforms, keepPlatform, platformMatches, readIndexJson, readOciImages, readVerifiedBlob } from './oci';
import { isLayoutFolder, isWalkableFolder, type LayoutFolder, type ImageArchive, type ReadArchiveOptions, type WalkableFolder } from './types';

/** Collects a stream into an in-memory Blob (the default `spill`; use spillToTempFile in Node). */
export async function spillToMemory(stream: ReadableStream<Uint8Array>): Promise<Blob> {
  return new Response(stream).blob();
}

/** Largest blob under blobs/sha256 taken for a possible manifest when scanning a Docker ≥ 25 archive. */
const MAX_MANIFEST_SCAN = 64 * 1024;

/** Opens the outer container: checks it is non-empty, unwraps gzip, indexes the tar. */
async function openTar(input: Blob, opts: ReadArchiveOptions, warnings: string[]): Promise<{ tar: Blob; entries: TarEntry[]; outer: 'none' | 'gzip' }> {
  if (input.size === 0) throw new ArchiveError('archive-empty', 'the file is empty (0 bytes): not a tar or image archive');
  const head = new Uint8Array(await input.slice(0, 512).arrayBuffer());
  const outerComp = detectCompression(head);
  let tar = input;
  if (outerComp === 'gzip') {
    try {
      const unwrapped = decompressStream(input.stream(), 'gzip', { what: 'the gzip-wrapped archive', reopen: () => input.stream() });
      const max = opts.maxBytes;
      tar = await (opts.spill ?? spillToMemory)(max === undefined ? unwrapped : unwrapped.pipeThrough(capBytes(max, () =>
        new ArchiveError('archive-invalid', `the gzip-wrapped archive expands past ${max} bytes: refusing it`))));
    } catch (e) {
      if (e instanceof CoreError) throw e;
      throw new ArchiveError('archive-invalid', `the archive is gzip-compressed but could not be decompressed: ${(e as Error).message}`, { cause: e });
    }
  } else if (outerComp !== 'none') {
    throw new ArchiveError('archive-unsupported', `the archive is ${outerComp}-compressed; only plain or gzip-wrapped tars are read: decompress it first`);
  }
  let idx;
  try {
    idx = await indexTar(tar);
  } catch (e) {
    if (e instanceof TarError && (e.offset === 0 || e.offset === undefined)) {
      throw new ArchiveError('archive-invalid', `not a tar archive${outerComp === 'gzip' ? ' inside the gzip wrapper' : ''} (${e.message}); expected a docker save tar or an OCI layout tar`, { cause: e });
    }
    throw e;
  }
  if (idx.entries.length === 0) throw new ArchiveError('archive-empty', 'the tar has no members: not an image archive');
  for (const w of idx.warnings) warnings.push(`tar: ${w.message}`);
  return { tar, entries: idx.entries, outer: outerComp === 'gzip' ? 'gzip' : 'none' };
}

/**
 * The stored OCI manifests of a Docker ≥ 25 archive, by config digest: those index.json lists (when
 * it lists any) and, for saves by image ID (`"manifests": null`), small blobs that are manifests.
 */
async function storedManifests(m: Members, entries: TarEntry[], index: Descriptor[], warnings: string[]): Promise<OciManifestsByConfig> {
  const out: OciManifestsByConfig = new Map();
  const add = (bytes: Uint8Array, digest: Digest, platform?: Descriptor['platform']): void => {
    try {
      const v = JSON.parse(new TextDecoder().decode(bytes)) as { config?: { digest?: unknown }; layers?: unknown };
      if (v && typeof v === 'object' && isDigest(v.config?.digest) && Array.isArray(v.layers) && !out.has(v.config.digest)) {
        out.set(v.config.digest, { digest, bytes, platform });
      }
    } catch { /* not JSON: a layer or a config */ }
  };
  for (const d of index) {
    if (!isDigest(d.digest) || !(await m.has(`blobs/sha256/${d.digest.slice(7)}`))) continue;
    try { add(await readVerifiedBlob(m, d, 'index.json entry'), d.digest, d.platform); } catch (e) { warnings.push((e as Error).message); }
  }
  for (const e of entries) {
    const match = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/.exec(e.name);
    if (!match || e.type !== 'file' || e.size > MAX_MANIFEST_SCAN) continue;
    const bytes = await readBytes(m, e.name);
    if (bytes[0] !== 0x7b) continue; // '{'
    const d = `sha256:${match[1]}` as Digest;
    if ((await sha256(bytes)) === d) add(bytes, d);
  }
  return out;
}

/**
 * Reads an image archive: `docker save` output of any Docker version (legacy, Docker ≥ 25 OCI +
 * manifest.json), skopeo/crane docker-archives, gzip-wrapped saves, and OCI layouts as a tar or
 * a folder (a LayoutFolder, or the image module's walkable folder). Layers are not read: each Layer streams from the archive Blob on demand (stored form
 * = as in the archive, maybe compressed). Errors are ArchiveError/CoreError with precise codes.
 */
export async function readImageArchive(input: Blob | LayoutFolder | WalkableFolder, opts: ReadArchiveOptions = {}): Promise<ImageArchive> {
  const warnings: string[] = [];
  let m: Members;
  let members: TarEntry[] = [];
  let outer: 'none' | 'gzip' = 'none';
  if (isLayoutFolder(input)) {
    m = new FolderMembers(input);
  } else if (isWalkableFolder(input)) {
    m = await WalkedFolderMembers.from(input);
  } else if (input instanceof Blob) {
    const t = await openTar(input, opts, warnings);
    m = new TarMembers(t.tar, t.entries);
    members = t.entries;
    outer = t.outer;
  } else {
    throw new CoreError('invalid-argument', 'readImageArchive needs a Blob (a File) or a LayoutFolder');
  }
  warnings.push(...m.warnings);
  if (opts.maxBytes !== undefined) m.maxBytes = opts.maxBytes;
  const readMember = (name: string): Promise<Uint8Array> => readBytes(m, name);
  const hasManifest = await m.has('manifest.json');
  const indexIsDir = await m.isDirectory('index.json');
  const hasLayout = (await m.has('oci-layout')) || (await m.has('index.json')) || indexIsDir;

  if (hasManifest) {
    const entries = parseDockerManifest((await readJson(m, 'manifest.json')).value);
    const dialect = dockerDialect(entries, hasLayout && !indexIsDir);
    let stored: OciManifestsByConfig = new Map();
    let absent: string[] = [];
    if (dialect === 'docker-oci') {
      const index = (await readIndexJson(m)).manifests;
      stored = await storedManifests(m, members, index, warnings);
      if (opts.platform) absent = await absentPlatforms(m, index);
    }
    const docker = await readDockerImages(m, entries, warnings, stored);
    if (dialect === 'docker-oci' && opts.platform && !docker.some((i) => platformMatches(opts.platform!, i.platform))) {
      // manifest.json lists one platform of a multi-platform image (what Docker before 25 loads); the others
      // are in index.json, read as an OCI layout's
      const fromIndex = await readOciImages(m, (await readIndexJson(m)).manifests, opts.platform, []).catch(() => []);
      if (fromIndex.length) return { dialect, outerCompression: outer, images: fromIndex, members, readMember, warnings };
    }
    const images = keepPlatform(docker, opts.platform, absent);
    return { dialect, outerCompression: outer, images, members, readMember, warnings };
  }
  if (hasLayout) {
    if (!(await m.has('oci-layout'))) warnings.push('oci-layout is missing; reading index.json anyway');
    else {
      const { value } = await readJson(m, 'oci-layout');
      const version = (value as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
      if (version !== '1.0.0') warnings.push(`oci-layout announces imageLayoutVersion ${describe(version)}; expected "1.0.0"`);
    }
    if (!indexIsDir && !(await m.has('index.json'))) {
      throw new ArchiveError('archive-missing-member', 'member "index.json" is missing: the OCI layout has oci-layout but no index.json');
    }
    const { manifests, wasNull } = await readIndexJson(m);
    if (wasNull || manifests.length === 0) {
      throw new ArchiveError('image-not-found', `index.json lists no manifests${wasNull ? ' ("manifests": null)' : ''} and there is no manifest.json: the layout holds no image`);
    }
    const images = await readOciImages(m, manifests, opts.platform, warnings);
    return { dialect: 'oci-layout', outerCompression: outer, images, members, readMember, warnings };
  }
  throw await explainMissingManifest(m, await m.has('repositories'));
}
