/** Image archives: read every docker-archive / OCI layout dialect; write `docker save` tars (Docker ≥ 25 dual layout). */
export type { ArchiveDialect, ArchiveImage, LayoutFolder, ImageArchive, ReadArchiveOptions, WalkableFolder } from './types';
export { isLayoutFolder, isWalkableFolder } from './types';
export { readImageArchive, spillToMemory } from './read';
export { cleanMemberPath } from './members';
export { platformMatches } from './oci';
export { fileSystemWritableSink, writeDockerArchive, writeDockerArchiveTo, writeDockerArchiveToSeekable, type ArchiveItem, type ArchiveWriteItem, type MultiPlatformWriteItem, type SeekableSink, type WriteArchiveOptions } from './write';
export { normalizeTag, type NormalizedTag } from './tags';
