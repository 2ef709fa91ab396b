/** Tar: header index over a Blob (no copy), streaming reader, deterministic writer. */
export type { TarEntry, TarEntryType, TarWarning, TarWriteEntry } from './types';
export { indexTar, indexTarBytes, entryBlob, walkBlobTar, scanBlobTar, type TarIndex } from './blob-index';
export { readTar } from './reader';
export { writeTar, tarSize, tarBytes, tarPieces } from './writer';
export { sortTarEntries, normalizeEntryPath, resolveRootedPath, compareNames } from './paths';
