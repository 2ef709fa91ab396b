/**
 * docker-envs, the library in Node: every name of index.ts (its one deliberate list, re-exported whole so the two
 * entries cannot drift apart; index.test.ts checks it), where openImage, pullImage and buildDockerEnvironment are
 * replaced by their Node forms: they give NodeImage values (`addLayerPath(dir)`, `writeFile(path)`), read paths
 * on disk, keep pulled blobs and packages in the cache folder and follow SOURCE_DATE_EPOCH. Plus what only Node
 * has: folderFromPath, writeDockerArchiveToFile, defaultCacheDir.
 */
export * from './index';
// these names shadow index.ts's (an explicit export wins over `export *`)
export { NodeImage, buildDockerEnvironment, openImage, pullImage, sourceDateEpoch } from './api/node.node.js';
export { folderFromPath } from './image/folder.node.js';
export { writeDockerArchiveToFile } from './archive/file.node.js';
export { defaultCacheDir } from './image/open.node.js';
