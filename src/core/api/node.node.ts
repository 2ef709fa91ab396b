/**
 * The library in Node: NodeImage (a ContainerImage that also reads folders by path and writes archive files),
 * and openImage, pullImage and buildDockerEnvironment giving NodeImage values, with the CLI's defaults: paths on
 * disk are image tarballs or layout folders, pulled blobs and packages are kept in the cache folder
 * ($XDG_CACHE_HOME/docker-envs), large layers spill to temporary files, mtimes follow SOURCE_DATE_EPOCH.
 */
import { join } from 'node:path';
import { writeDockerArchiveToFile } from '../archive/file.node.js';
import { spillToTempFile } from '../archive/spill.node.js';
import { localChannelsFetch, localChannelUrl } from '../conda/channel-folder.node.js';
import { cachingFetch } from '../conda/repodata-cache';
import { folderRepodataStore } from '../conda/repodata-store.node.js';
import { CoreError } from '../errors';
import { folderFromPath } from '../image/folder.node.js';
import { defaultCacheDir, lazyFolderBlobStore, openImagePath } from '../image/open.node.js';
import type { FolderSource, Image } from '../image';
import { openImage as resolveImage, openRegistryImage, type ImageInput, type OpenImageOptions } from '../image/open';
import type { ImageReference } from '../registry';
import { ContainerImage, type AddFolderOptions, type WriteImageOptions } from './container-image';
import { buildDockerEnvironmentWith, environmentArchiveItem, type BuildDockerEnvironmentOptions, type DockerEnvironment } from './environment';
import { asContainerImage, type OpenedContainerImage, type PullImageOptions } from './open';

/** SOURCE_DATE_EPOCH as whole seconds (0 when unset); CoreError 'invalid-argument' for anything else. */
export function sourceDateEpoch(): number {
  const raw = process.env.SOURCE_DATE_EPOCH;
  const epoch = Number(raw ?? 0);
  if (!Number.isInteger(epoch) || epoch < 0) throw new CoreError('invalid-argument', `SOURCE_DATE_EPOCH must be whole seconds, not "${raw}"`);
  return epoch;
}

/** A ContainerImage in Node: folders by path, and archives written to files. */
export class NodeImage extends ContainerImage {
  /**
   * The image with a layer made of the folder `dir` (or any FolderSource) on top. Entries are sorted by name
   * and their mtimes are `epoch` (default SOURCE_DATE_EPOCH, else 0), so the same folder gives the same digest;
   * symlinks stay symlinks, x bits are kept. `filter` (e.g. condaFileFilter()) says what to keep.
   */
  addLayerPath(dir: string | FolderSource, opts: AddFolderOptions = {}): this {
    const source = typeof dir === 'string' ? folderFromPath(dir) : dir;
    return this.addLayerFolder(source, { ...opts, epoch: opts.epoch ?? sourceDateEpoch() });
  }

  /**
   * Writes the image as a `docker load`-able archive at `path` (tagged with its name); resolves to its size in
   * bytes. Written under a temporary name and renamed when complete: a failure leaves no partial file.
   */
  writeFile(path: string, opts: Omit<WriteImageOptions, 'signal'> & { signal?: AbortSignal } = {}): Promise<number> {
    return writeDockerArchiveToFile([{ image: this.image, tags: this.name ? [this.name] : [] }], path, opts);
  }
}

const makeNodeImage = (image: Image, name: string | undefined): NodeImage => new NodeImage(image, name);

/** openImage's options with the Node defaults (paths on disk, temporary files, the cache folder's blobs). */
function nodeOpenOptions(opts: OpenImageOptions): OpenImageOptions {
  return { openPath: openImagePath, spill: spillToTempFile, store: lazyFolderBlobStore(join(defaultCacheDir(), 'blobs')), ...opts };
}

/** openImage in Node: a path is an image tarball or an OCI layout folder when one is there, else a reference. */
export async function openImage(input: ImageInput, opts: OpenImageOptions = {}): Promise<OpenedContainerImage<NodeImage>> {
  return asContainerImage(await resolveImage(input, nodeOpenOptions(opts)), makeNodeImage);
}

/** pullImage in Node: layers are kept, verified, in the cache folder unless `store` says otherwise. */
export async function pullImage(ref: string | ImageReference, opts: PullImageOptions = {}): Promise<OpenedContainerImage<NodeImage>> {
  return asContainerImage(await openRegistryImage(ref, { store: lazyFolderBlobStore(join(defaultCacheDir(), 'blobs')), ...opts }), makeNodeImage);
}

/**
 * buildDockerEnvironment in Node, as the CLI builds: channels may be folders (a path or file:// URL), packages
 * and repodata are kept in the cache folder, large layers spill to temporary files; `outputFilename` writes the
 * archive there (under a temporary name until complete).
 */
export async function buildDockerEnvironment(opts: BuildDockerEnvironmentOptions & { outputFilename?: string }): Promise<DockerEnvironment<NodeImage>> {
  const epoch = opts.epoch ?? sourceDateEpoch();
  const channels = (opts.channels ?? []).map((c) => localChannelUrl(c));
  const net = localChannelsFetch(channels, opts.build?.lock);
  const cache = defaultCacheDir();
  const env = await buildDockerEnvironmentWith({ ...opts, channels, epoch }, {
    open: openImage, make: makeNodeImage,
    defaults: {
      store: lazyFolderBlobStore(join(cache, 'blobs')), layerSpill: spillToTempFile,
      fetch: net, repodataFetch: cachingFetch(net, { store: folderRepodataStore(join(cache, 'repodata')) }),
    },
  });
  if (opts.outputFilename) await writeDockerArchiveToFile([environmentArchiveItem(env, opts.outputImage)], opts.outputFilename, { mtime: epoch, ...(opts.signal ? { signal: opts.signal } : {}) });
  return env;
}
