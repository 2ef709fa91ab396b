/**
 * Node side of the determinism check: `node --import tsx e2e/recipes/write-sample.ts ROOTFS_TAR FOLDER EPOCH`
 * builds the sample image from a folder on disk and prints the same JSON the browser page reports.
 */
import { openAsBlob } from 'node:fs';
import { writeDockerArchive } from '../../src/core/archive';
import { digestStream } from '../../src/core/digest';
import { folderFromPath } from '../../src/core/image/folder.node.js';
import { buildSampleImage, SAMPLE_TAG } from './sample-image';

const [rootfsPath, folderPath, epochArg] = process.argv.slice(2);
const epoch = Number(epochArg);
const image = buildSampleImage({ rootfs: await openAsBlob(rootfsPath), folder: folderFromPath(folderPath), epoch });
const { digest, size } = await digestStream(writeDockerArchive([{ image, tags: [SAMPLE_TAG] }], { mtime: epoch }));
const layers = await image.layers();
console.log(JSON.stringify({
  archiveSha256: digest,
  archiveSize: size,
  manifestDigest: await image.digest(),
  diffIds: await Promise.all(layers.map((l) => l.diffId())),
}));
