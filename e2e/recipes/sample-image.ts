/**
 * The sample image the integration and browser tests build, in one place so that Node and Chromium run
 * the very same recipe: a busybox base layer + a layer of in-memory files with a script + a layer from a
 * folder with a filter + a junk layer that is then removed + a changed config.
 */
import { MediaTypes } from '../../src/core/oci';
import {
  appendLayers, emptyImage, layerFromBlob, layerFromFiles, layerFromFolder, removeTopLayer, setConfig,
  type FolderSource, type Image,
} from '../../src/core/image';

/** The tag the sample image is written with. */
export const SAMPLE_TAG = 'docker-envs.test/sample:1';

/** Inputs of the recipe. */
export interface SampleInputs {
  /** the busybox rootfs tar (uncompressed) */
  rootfs: Blob;
  /** the folder to add under /app */
  folder: FolderSource;
  /** SOURCE_DATE_EPOCH: mtimes and `created` */
  epoch: number;
}

/** The script the image runs: it prints its environment so a test sees the config too. */
export const HELLO_SCRIPT = '#!/bin/sh\necho "hello from docker-envs, GREETING=$GREETING, cwd=$(pwd)"\ncat /app/data/message.txt\n';

/** Files of the sample folder (written to disk in Node, handed to the page as a File list in Chromium). */
export const SAMPLE_FOLDER: Record<string, string> = {
  'data/message.txt': 'a file from a folder\n',
  'data/nested/deep/é-unicode name.txt': 'unicode\n',
  'data/skip.log': 'filtered out\n',
  'README.md': '# sample\n',
  'node_modules/junk/index.js': 'filtered out too\n',
};

/** The folder filter: no logs, no node_modules. */
export function sampleFilter(path: string): boolean {
  return !path.endsWith('.log') && path !== 'node_modules' && !path.startsWith('node_modules/');
}

/** Builds the sample image lazily (nothing is read until the image is written or validated). */
export function buildSampleImage({ rootfs, folder, epoch }: SampleInputs): Image {
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const base = appendLayers(emptyImage({ created }), [{
    layer: layerFromBlob(rootfs, { mediaType: MediaTypes.ociLayer }),
    history: { created_by: 'busybox rootfs (Debian busybox-static)', created },
  }]);
  const withFiles = appendLayers(base, [{
    layer: layerFromFiles([
      { path: 'usr/local/bin/hello', content: HELLO_SCRIPT, mode: 0o755 },
      { path: 'etc/motd', content: 'built by docker-envs\n' },
      { path: 'bin/.wh.false', content: '' },
    ], { epoch }),
    history: { created_by: 'docker-envs: add files', created },
  }]);
  const withFolder = appendLayers(withFiles, [{
    layer: layerFromFolder(folder, { prefix: 'app', filter: sampleFilter, portable: true, epoch }),
    history: { created_by: 'docker-envs: add folder app/', created },
  }]);
  const withJunk = appendLayers(withFolder, [{
    layer: layerFromFiles({ 'junk.txt': 'to be removed' }, { epoch }),
    history: { created_by: 'docker-envs: junk', created },
  }]);
  return setConfig(removeTopLayer(withJunk), {
    env: { GREETING: 'world', PATH: '/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    cmd: ['/usr/local/bin/hello'],
    workdir: '/app',
    user: '0:0',
    labels: { 'org.opencontainers.image.title': 'docker-envs sample' },
  });
}
