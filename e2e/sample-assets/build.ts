/**
 * The builder of the app's offline sample, committed under `public/sample/` so that the built app builds an
 * image with no network at all (*Try the sample build*). `npm run sample [OUT]` writes (default
 * `public/sample/`):
 *
 * - `channel/linux-64/`, `channel/noarch/`: a conda channel of real `.conda` packages with repodata.json
 *   (see packages.ts), written by the shared writer in e2e/conda-builder/package.ts;
 * - `base/busybox.tar`: a docker-save archive (the project's writeDockerArchive, fixed epoch) of the busybox
 *   rootfs the test harness makes (e2e/harness/busybox.ts), plus a layer holding busybox's licence notice;
 * - `base/busybox-NOTICE.txt`: that notice (GPL-2.0-only, where the source is, the licence text);
 * - `sample.json`: what the form needs ({@link SampleDescription}), paths relative to sample.json itself.
 *
 * Same tools, same bytes: the bytes depend on the project's writers and on Debian's gcc, binutils,
 * busybox-static, zstd and GNU tar, whose versions are recorded in sample.json (`builtWith`);
 * e2e/integration/sample-assets.test.ts rebuilds and compares.
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, openAsBlob, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { writeDockerArchiveTo } from '../../src/core/archive';
import { appendLayers, emptyImage, layerFromBlob, layerFromFiles, setConfig } from '../../src/core/image';
import { MediaTypes } from '../../src/core/oci';
import { writeChannel } from '../conda-builder/package';
import { buildBusyboxRootfs } from '../harness/busybox';
import { isMain, repoRoot, runCapture } from '../harness/util';
import { busyboxDebianVersions, busyboxNotice } from './notice';
import { SAMPLE_CHECK, SAMPLE_CHECK_OUTPUT, SAMPLE_SPECS, samplePackages } from './packages';

/** Where `npm run sample` writes by default. */
export const SAMPLE_DIR = join(repoRoot, 'public/sample');

/** SOURCE_DATE_EPOCH of the sample base: its `created` and every archive entry's mtime (seconds). */
export const SAMPLE_EPOCH = 1700000000;

/** `public/sample/sample.json`: the sample build, for the form. Paths are relative to sample.json's URL. */
export interface SampleDescription {
  description: string;
  /** the base image archive, its tag, and its licence notice */
  base: { path: string; tag: string; notice: string };
  /** the channel folder (ends with '/'), holding linux-64/ and noarch/ */
  channel: string;
  specs: string[];
  /** the tag the built image gets */
  tag: string;
  /** `docker run --rm TAG ...command` prints `output` (prefix /opt/conda) */
  check: { command: string[]; output: string };
  /** Debian versions of the tools the bytes depend on */
  builtWith: Record<string, string>;
}

/** First line a command prints for `args`, or throws saying which Debian package to install. */
function versionLine(cmd: string, args: string[], pkg: string): string {
  const r = runCapture(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} is needed to build the sample: apt-get install -y --no-install-recommends ${pkg}`);
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

/** Versions of the tools whose output goes into the sample's bytes (throws when one is missing). */
export function sampleToolVersions(): Record<string, string> {
  return {
    gcc: versionLine('gcc', ['--version'], 'gcc'),
    ld: versionLine('ld', ['--version'], 'binutils'),
    'busybox-static': busyboxDebianVersions().binary,
    zstd: versionLine('zstd', ['--version'], 'zstd'),
    tar: versionLine('tar', ['--version'], 'tar'),
  };
}

/** Writes the base archive: the busybox rootfs layer, a notice layer, PATH and `sh`. */
async function writeBase(rootfsTar: string, notice: string, out: string, tag: string): Promise<void> {
  const created = new Date(SAMPLE_EPOCH * 1000).toISOString().replace('.000Z', 'Z');
  const image = setConfig(appendLayers(emptyImage({ created }), [
    { layer: layerFromBlob(await openAsBlob(rootfsTar), { mediaType: MediaTypes.ociLayer }), history: { created_by: 'busybox rootfs (Debian busybox-static)', created } },
    { layer: layerFromFiles([{ path: 'usr/share/doc/busybox/NOTICE', content: notice }], { epoch: SAMPLE_EPOCH }), history: { created_by: 'busybox licence notice', created } },
  ]), {
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    cmd: ['sh'],
    labels: { 'org.opencontainers.image.title': 'docker-envs sample base (busybox)', 'org.opencontainers.image.licenses': 'GPL-2.0-only' },
  });
  await writeDockerArchiveTo([{ image, tags: [tag] }], Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>, { mtime: SAMPLE_EPOCH });
}

/** Builds the whole sample into `out` (replaced once complete); returns sample.json's content. */
export async function buildSampleAssets(out: string): Promise<SampleDescription> {
  const builtWith = sampleToolVersions();
  const work = mkdtempSync(join(tmpdir(), 'docker-envs-sample-'));
  const stage = `${out}.${process.pid}.tmp`;
  try {
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(join(stage, 'base'), { recursive: true });
    await writeChannel(join(stage, 'channel'), samplePackages(work));
    const notice = busyboxNotice();
    writeFileSync(join(stage, 'base/busybox-NOTICE.txt'), notice);
    const rootfs = join(work, 'busybox-rootfs.tar');
    await buildBusyboxRootfs(rootfs);
    const sample: SampleDescription = {
      description: 'A busybox base and a small conda channel shipped with the app: the sample builds with no network.',
      base: { path: 'base/busybox.tar', tag: 'docker-envs/sample-busybox:1', notice: 'base/busybox-NOTICE.txt' },
      channel: 'channel/',
      specs: SAMPLE_SPECS,
      tag: 'docker-envs/sample:1',
      check: { command: SAMPLE_CHECK, output: SAMPLE_CHECK_OUTPUT },
      builtWith,
    };
    await writeBase(rootfs, notice, join(stage, sample.base.path), sample.base.tag);
    writeFileSync(join(stage, 'sample.json'), `${JSON.stringify(sample, null, 2)}\n`);
    if (existsSync(out)) rmSync(out, { recursive: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(stage, out);
    return sample;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(stage, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const out = resolve(process.argv[2] ?? SAMPLE_DIR);
  const sample = await buildSampleAssets(out);
  console.log(`[sample] wrote ${out} (${Object.entries(sample.builtWith).map(([k, v]) => `${k}: ${v}`).join('; ')})`);
}
