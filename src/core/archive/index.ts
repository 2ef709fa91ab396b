/** Image archives: read every docker-archive / OCI layout dialect; write `docker save` tars (Docker ≥ 25 dual layout). */
export type { ArchiveDialect, ArchiveImage, FolderSource, ImageArchive, ReadArchiveOptions, WalkableFolder } from './types';
export { isFolderSource, isWalkableFolder } from './types';
export { readImageArchive, spillToMemory } from './read';
export { cleanMemberPath } from './members';
export { platformMatches } from './oci';
export { writeDockerArchive, writeDockerArchiveTo, type ArchiveWriteItem, type WriteArchiveOptions } from './write';
export { normalizeTag, type NormalizedTag } from './tags';
