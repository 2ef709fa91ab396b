/**
 * Seed inputs of the fuzzer, per target: real third-party files read from the shared fixtures (never
 * copied into the repository) and small inputs the project's own writers make (a docker-save tar with
 * links, whiteouts and a gzip layer; repodata documents and their zstd, bzip2 and sharded forms).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { writeDockerArchive } from '../../src/core/archive';
import { rawZstdFrame } from '../../src/core/conda/repodata-shard';
import { sha256, digestHex } from '../../src/core/digest';
import { appendLayers, emptyImage, gzipLayer, layerFromFiles } from '../../src/core/image';
import { tarBytes } from '../../src/core/tar';
import { fixture } from '../../src/test-support/fixtures';

/** One seed: its bytes and the file name the reader is given (the name tells the conda format). */
export interface Seed { name: string; bytes: Uint8Array }

const ARCHIVES = [
  'go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar',
  'go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar',
  'go-containerregistry/pkg/v1/tarball/testdata/test_link.tar',
  'go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar',
  'go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar',
  'dive/.data/test-oci-zstd-image.tar',
  'dive/.data/test-oci-gzip-image.tar',
  'dive/.data/test-oci-uncompressed-image.tar',
  'containers-image/docker/archive/fixtures/almostempty.tar',
];
/** OCI layout folders, tarred in memory (the same reader path as a layout tar) */
const LAYOUT_DIRS = [
  'trivy/pkg/fanal/test/testdata/test.oci',
  'go-containerregistry/pkg/v1/layout/testdata/test_index',
];
/**
 * Small packages (under 10 KB, but one real 100 KB package): a mutation touches a few bytes, so big
 * bodies only cost decoding time. Between them: .conda and .tar.bz2, prefix placeholders (has_prefix,
 * paths.json), symlinks, zip64, './' names, non-ASCII names, legacy metadata without paths.json,
 * noarch python, link scripts.
 */
const PACKAGES = [
  'conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  'conda-index/tests/archives/conda-index-pkg-a-1.0-py27h5e241af_0.tar.bz2',
  'quetz/quetz/tests/data/test-package-0.1-0.tar.bz2',
  'quetz/quetz/tests/data/other-package-0.2-0.conda',
  'conda/tests/data/test-recipes/noarch/dependent-2.0-0.conda',
  'rattler/test-data/sparse/symlink-test-1.0.0-0.conda',
  'rattler/test-data/sparse/zip64-test-1.0.0-0.conda',
  'rattler/test-data/sparse/dotslash-test-1.0.0-0.conda',
  'conda-package-handling/history/tests/data/pkg_with_unicode.conda',
  'conda-package-handling/history/tests/data/pkg_with_unicode.tar.bz2',
  'conda-index/tests/archives/nano-2.4.1-0.tar.bz2',
  'rattler/test-data/clobber/clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2',
  'rattler/test-data/clobber/clobber-python-0.1.0-cpython.conda',
  'rattler/test-data/link-scripts/link-scripts-0.1.0-h4616a5c_0.conda',
];
const REPODATA = [
  'conda/tests/data/conda_format_repo/linux-64/repodata.json',
  'mamba/micromamba/tests/channel_a/linux-64/repodata.json',
  'conda/history/tests/data/legacy_repodata/noarch/repodata.json',
  'rattler/test-data/channels/dummy/linux-64/repodata.json',
];
const SHARDED = 'conda/tests/data/conda_format_repo/linux-64';

const read = (rel: string): Uint8Array => new Uint8Array(readFileSync(fixture(rel)));

function tarFolder(dir: string): Uint8Array {
  const entries: Parameters<typeof tarBytes>[0][number][] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const rel = relative(dir, p);
      if (statSync(p).isDirectory()) { entries.push({ name: rel, type: 'directory' }); walk(p); }
      else entries.push({ name: rel, type: 'file', body: new Uint8Array(readFileSync(p)) });
    }
  };
  walk(dir);
  return tarBytes(entries);
}

/** A docker-save tar written by the project: two layers (gzip and plain), a symlink, a whiteout. */
async function ownArchive(): Promise<Uint8Array> {
  const l1 = layerFromFiles({ 'etc/hello.txt': 'hello\n', 'usr/bin/tool': new Uint8Array(3000).fill(7), 'opt/conda/conda-meta/x-1-0.json': '{"name":"x","version":"1","build":"0"}' });
  const l2 = layerFromFiles([{ path: 'etc/.wh.hello.txt', content: '' }, { path: 'usr/bin/link', type: 'symlink', linkname: 'tool' }]);
  const image = await appendLayers(emptyImage(), [{ layer: gzipLayer(l1) }, { layer: l2 }]);
  return new Uint8Array(await new Response(writeDockerArchive([{ image, tags: ['fuzz.test/own:1'] }])).arrayBuffer());
}

/** Seeds of the archive target (readImageArchive, then the inspect listing and merge). */
export async function archiveSeeds(): Promise<Seed[]> {
  const out: Seed[] = ARCHIVES.filter((r) => existsSync(fixture(r))).map((r) => ({ name: r, bytes: read(r) }));
  for (const d of LAYOUT_DIRS) if (existsSync(fixture(d))) out.push({ name: `${d}.tar`, bytes: tarFolder(fixture(d)) });
  out.push({ name: 'own.tar', bytes: await ownArchive() });
  return out;
}

/** Seeds of the conda package target (openCondaPackage, then installPackage). */
export function packageSeeds(): Seed[] {
  return PACKAGES.filter((r) => existsSync(fixture(r))).map((r) => ({ name: r.split('/').pop()!, bytes: read(r) }));
}

/** A repodata seed: how it is served (the file a channel publishes) and its bytes. */
export interface RepodataSeed extends Seed {
  /** the subdir file names and bytes a fake channel serves; the first one is the file mutated */
  files: Record<string, Uint8Array>;
}

/** Seeds of the repodata target: plain JSON, its zstd frame, bzip2 (from the fixtures), and a CEP-16 sharded subdir. */
export async function repodataSeeds(): Promise<RepodataSeed[]> {
  const out: RepodataSeed[] = [];
  for (const r of REPODATA.filter((x) => existsSync(fixture(x)))) {
    const json = read(r);
    out.push({ name: r, bytes: json, files: { 'repodata.json': json } });
    out.push({ name: `${r}.zst`, bytes: rawZstdFrame(json), files: { 'repodata.json.zst': rawZstdFrame(json) } });
  }
  const bz = 'mamba/micromamba/tests/test-server/repo/noarch/current_repodata.json.bz2';
  if (existsSync(fixture(bz))) out.push({ name: bz, bytes: read(bz), files: { 'repodata.json.bz2': read(bz) } });
  if (existsSync(fixture(SHARDED))) {
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(fixture(SHARDED)).filter((n) => n.endsWith('.msgpack.zst'))) files[f] = read(`${SHARDED}/${f}`);
    const index = files['repodata_shards.msgpack.zst'];
    out.push({ name: `${SHARDED}/repodata_shards.msgpack.zst`, bytes: index, files: { 'repodata_shards.msgpack.zst': index, ...files } });
  }
  // a sharded subdir written here: index and one shard, hashes as bytes (CEP-16)
  const shard = rawZstdFrame(encode({ packages: {}, 'packages.conda': { 'a-1-0.conda': { name: 'a', version: '1', build: '0', build_number: 0, depends: ['b >=1'], sha256: new Uint8Array(32) } } }));
  const hex = digestHex(await sha256(shard));
  const index = rawZstdFrame(encode({ info: { base_url: '', shards_base_url: '', subdir: 'linux-64' }, version: 1, shards: { a: Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16))) } }));
  out.push({ name: 'own-sharded', bytes: index, files: { 'repodata_shards.msgpack.zst': index, [`${hex}.msgpack.zst`]: shard } });
  return out;
}
