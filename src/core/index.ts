/**
 * docker-envs, the library: its one entry, in browsers and workers (Node's is index.node.ts, the same names with
 * NodeImage values and file-system defaults). A deliberate list of named exports, by what a user does:
 *
 * - open, pull and edit images: `openImage`, `pullImage` give ContainerImage values whose edits
 *   (`removeLayer`, `withName`, `addLayerContents`, `addLayerFolder`, `withConfig`) return new values over the
 *   same lazy model, and `writeTo(WritableStream)` streams a `docker load`-able archive;
 * - build conda environments: `buildDockerEnvironment` (one call) or `buildEnvironment` (the pipeline);
 * - compare, validate, push; errors (`CoreError` and its `code`s) and digests.
 *
 * Anything not listed here is internal and may change.
 */

// images: open, pull, edit, write
export { openImage, pullImage, type OpenedContainerImage, type PullImageOptions } from './api/open';
export {
  ContainerImage, containerImage,
  type AddFolderOptions, type LayerContents, type NewLayerOptions, type WriteImageOptions,
} from './api/container-image';
export { condaFileFilter, type CondaFileFilterOptions } from './api/conda-filter';
export { classifyImageString, type ImageInput, type OpenedImage, type OpenImageOptions } from './image/open';

// conda environments
export { buildDockerEnvironment, type BuildDockerEnvironmentOptions, type DockerEnvironment, type PlatformEnvironment } from './api/environment';
export { buildEnvironment, solveForBase, type BuildRequest, type BuildResult, type SolvedForBase } from './pipeline/build';
export { buildEnvironments, parsePlatformList, type MultiPlatformBuildRequest, type PlatformBase, type PlatformBuild } from './pipeline/multi-platform';
export { readExplicitLock, writeExplicitLock } from './conda/explicit-lock';

// the image model, for images made or changed by hand
export type { Image, Layer } from './image/types';
export { emptyImage, imageFrom, type EmptyImageOptions, type ImageParts } from './image/image';
export { appendLayers, removeTopLayer, setConfig, setCreated, type Addendum, type ConfigPatch } from './image/mutate';
export { layerFromBlob } from './image/blob-layer';
export { layerFromFiles, type FileSpec } from './image/content-layer';
export { folderFromDirectoryHandle, folderFromFileList, layerFromFolder, type FolderItem, type FolderLayerOptions, type FolderSource } from './image/folder';
export { validate, InvalidImageError, type ValidatedLayer } from './image/validate';
export {
  hasUncompressedBlob, isPrefetchable, isSelfHashed, uncompressedBlobOf,
  type PrefetchableLayer, type SelfHashedLayer, type UncompressedBlobLayer,
} from './image/capabilities';
export { MediaTypes, formatPlatform, type Compression, type ConfigFile, type ContainerConfig, type Descriptor, type History, type Index, type Manifest, type MediaType, type Platform } from './oci';

// archives
export { readImageArchive, writeDockerArchive, writeDockerArchiveTo, type ArchiveImage, type ArchiveItem, type ArchiveWriteItem, type MultiPlatformWriteItem, type ImageArchive, type WriteArchiveOptions } from './archive';

// comparing images
export { compareImages, type CompareOptions, type ImageComparison, type ImageToCompare } from './inspect/compare';

// registries
export { RegistryClient } from './registry/client';
export { fetchRegistryImage, isRemoteLayer, listTags, type LayerSource, type PulledImage, type PullOptions, type RemoteLayer } from './registry/pull';
export { pushImage, pushIndex, type PushOptions, type PushResult } from './registry/push';
export { formatReference, parseReference, type ImageReference } from './registry/reference';
export type { Credentials } from './registry/auth';

// errors: a stable `name` and a `code` to switch on
export {
  ArchiveError, CoreError, DigestMismatchError, ERROR_CODES, SizeMismatchError, TarError, isErrorCode,
  deserializeError, serializeError, type ErrorCode, type SerializedError,
} from './errors';
export { RegistryError, type RegistryErrorDetail } from './registry/errors';

// digests
export { digestHex, digestStream, isDigest, parseDigest, sha256, verifyingStream, type Digest } from './digest/digest';
