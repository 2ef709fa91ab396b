import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import { MediaTypes, type ConfigFile } from '../oci';
import { openBlobLayer } from './blob-layer';
import { imageFrom } from './image';
import { appendLayers, removeTopLayer } from './mutate';
import { layerFromFiles } from './content-layer';
import { validate } from './validate';

// ggcr's bazel-built `docker save` tarballs, unpacked by GNU tar: legacy `<id>/layer.tar` members,
// Docker media types, no manifest of their own: the Image's manifest is generated (OCI).
const tmp = mkdtempSync(join(tmpdir(), 'docker-save-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveFixtures)('docker save tarballs (ggcr tarball/testdata)', () => {
  for (const name of ['test_image_1', 'test_image_2']) {
    it(`${name}: layers opened by sniffing; generated OCI manifest validates against the config's diff_ids`, async () => {
      const dir = join(tmp, name);
      mkdirSync(dir);
      execFileSync('tar', ['-xf', fixture(`go-containerregistry/pkg/v1/tarball/testdata/${name}.tar`), '-C', dir]);
      const [entry] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Array<{ Config: string; Layers: string[] }>;
      const rawConfig = new Uint8Array(readFileSync(join(dir, entry.Config)));
      const config = JSON.parse(new TextDecoder().decode(rawConfig)) as ConfigFile;
      const layers = await Promise.all(entry.Layers.map(async (p) => openBlobLayer(await openAsBlob(join(dir, p)), { mediaType: MediaTypes.dockerLayerGzip })));
      const image = imageFrom({ rawConfig, layers });
      const m = await image.manifest();
      expect(m.mediaType).toBe(MediaTypes.ociManifest);
      expect(m.layers.map((l) => l.mediaType)).toEqual(layers.map(() => MediaTypes.ociLayer));
      // the config bytes are kept: its digest is the Docker image ID the file is named after
      expect(m.config.digest).toBe(`sha256:${entry.Config.replace(/\.json$/, '')}`);
      const measured = await validate(image);
      expect(measured.map((l) => l.diffId)).toEqual(config.rootfs.diff_ids);
      // append then remove: back to the same diff_ids and history
      const round = removeTopLayer(appendLayers(image, [{ layer: layerFromFiles({ x: 'y' }), history: { created_by: 't' } }]));
      const c = await round.config();
      expect(c.rootfs.diff_ids).toEqual(config.rootfs.diff_ids);
      expect(c.history ?? null).toEqual(config.history ?? null);
      await validate(round);
    });
  }
});
