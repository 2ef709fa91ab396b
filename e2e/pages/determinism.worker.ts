/** Worker of the determinism page: the same recipe and writer as Node, in Chromium. */
import { expose } from 'comlink';
import { writeDockerArchive } from '../../src/core/archive';
import { digestStream } from '../../src/core/digest';
import { folderFromFileList } from '../../src/core/image';
import { buildSampleImage, SAMPLE_TAG } from '../recipes/sample-image';

const api = {
  /** Builds and writes the sample image; returns the archive's sha256 and the image's digests. */
  async build(rootfs: File, files: Array<{ path: string; file: File }>, epoch: number) {
    const image = buildSampleImage({ rootfs, folder: folderFromFileList(files), epoch });
    const { digest, size } = await digestStream(writeDockerArchive([{ image, tags: [SAMPLE_TAG] }], { mtime: epoch }));
    const layers = await image.layers();
    return {
      archiveSha256: digest,
      archiveSize: size,
      manifestDigest: await image.digest(),
      diffIds: await Promise.all(layers.map((l) => l.diffId())),
    };
  },
};
expose(api);
export type DeterminismApi = typeof api;
