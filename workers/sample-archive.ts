/**
 * The built-in sample image of the inspector's "try a sample" button, written by the project's own
 * archive writer where it is asked for (in the inspect worker; nothing binary is committed). Four small
 * layers show what the inspector explains: a base, files overwritten and deleted later (wasted space),
 * an opaque directory, a hardlink, a long name, conda-meta records and a dangling-safe symlink.
 */
import { writeDockerArchive } from '../src/core/archive';
import { appendLayers, emptyImage, layerFromTarEntries, setConfig } from '../src/core/image';
import { sortTarEntries, type TarWriteEntry } from '../src/core/tar';

/** The tag the sample is written with. */
export const SAMPLE_ARCHIVE_TAG = 'docker-envs.example/sample:latest';

const EPOCH = 1_700_000_000;
const enc = new TextEncoder();
const file = (name: string, body: string | Uint8Array, mode = 0o644): TarWriteEntry =>
  ({ name, type: 'file', mode, mtime: EPOCH, body: typeof body === 'string' ? enc.encode(body) : body });
const dir = (name: string): TarWriteEntry => ({ name, type: 'directory', mode: 0o755, mtime: EPOCH });
const layer = (entries: TarWriteEntry[]) => layerFromTarEntries(sortTarEntries(entries));

/** Deterministic filler bytes (so sizes are visible in the bar chart). */
function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

const condaRecord = (name: string, version: string, build: string) =>
  JSON.stringify({ name, version, build, build_number: 0, channel: 'https://conda.anaconda.org/conda-forge', subdir: 'linux-64', files: [] }, null, 1);

/** Writes the sample archive (docker save format, about 700 kB) and returns it as a File. */
export async function makeSampleArchive(): Promise<File> {
  const created = new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z');
  const longName = 'opt/data/' + 'a-rather-long-directory-name-that-needs-pax/'.repeat(3) + 'file-with-a-long-name.txt';
  let img = appendLayers(emptyImage({ created }), [
    { layer: layer([
      dir('bin'), dir('etc'), dir('usr'), dir('usr/lib'), dir('var'), dir('var/cache'),
      file('bin/tool', filler(200_000, 1), 0o755),
      { name: 'bin/tool-alias', type: 'symlink', linkname: 'tool', mtime: EPOCH },
      file('etc/os-release', 'NAME="Sample"\nID=sample\n'),
      file('usr/lib/libbig.so', filler(300_000, 2), 0o755),
      file('var/cache/index.db', filler(120_000, 3)),
      file('var/cache/old.log', filler(30_000, 4)),
    ]), history: { created_by: '/bin/sh -c #(nop) ADD rootfs.tar /', created } },
    { layer: layer([
      dir('opt'), dir('opt/env'), dir('opt/env/conda-meta'), dir('opt/env/lib'),
      file('opt/env/conda-meta/zlib-1.3.1-hb9d3cd8_2.json', condaRecord('zlib', '1.3.1', 'hb9d3cd8_2')),
      file('opt/env/conda-meta/python-3.12.7-h9e4cc4f_0.json', condaRecord('python', '3.12.7', 'h9e4cc4f_0')),
      file('opt/env/conda-meta/history', '==> 2023-11-14 <==\n'),
      file('opt/env/lib/libz.so.1.3.1', filler(90_000, 5), 0o755),
      { name: 'opt/env/lib/libz.so.1', type: 'hardlink', linkname: 'opt/env/lib/libz.so.1.3.1', mtime: EPOCH },
      dir('opt/data'), file(longName, 'long names need a PAX header\n'),
    ]), history: { created_by: 'docker-envs: conda install zlib python', created } },
    { layer: layer([
      dir('var'), dir('var/cache'), file('var/cache/.wh..wh..opq', ''), file('var/cache/index.db', filler(40_000, 6)),
      dir('usr'), dir('usr/lib'), file('usr/lib/libbig.so', filler(310_000, 7), 0o755),
      dir('etc'), file('etc/motd', 'Built by docker-envs in your browser.\n'),
    ]), history: { created_by: '/bin/sh -c rm -rf /var/cache/* && rebuild-cache && upgrade libbig', created } },
    { layer: layer([dir('bin'), file('bin/.wh.tool-alias', '')]), history: { created_by: '/bin/sh -c rm /bin/tool-alias', created } },
  ]);
  img = setConfig(img, {
    env: { PATH: '/opt/env/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    entrypoint: ['/bin/tool'], cmd: ['--help'], workdir: '/opt',
    labels: { 'org.opencontainers.image.title': 'docker-envs sample', 'org.opencontainers.image.source': 'generated in the browser' },
  });
  const bytes = await new Response(writeDockerArchive([{ image: img, tags: [SAMPLE_ARCHIVE_TAG] }], { mtime: EPOCH })).blob();
  return new File([bytes], 'sample.tar', { type: 'application/x-tar', lastModified: EPOCH * 1000 });
}
