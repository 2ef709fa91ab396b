/**
 * Malformed metadata and binary structures in conda packages end in a typed error where they are read
 * (conda/guards.ts, zip.ts), not in a TypeError, RangeError or raw zlib error while installing. Packages
 * are written here: a zip (fflate) of info and payload tars framed as stored zstd.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../errors';
import { tarBytes } from '../tar';
import { installPackage } from './install';
import { openCondaPackage } from './package';
import { parseRepodata } from './repodata';
import { rawZstdFrame } from './repodata-shard';

const enc = new TextEncoder();
const body = enc.encode('hello\n');
const INDEX = { name: 'docs', version: '1.0', build: '0', build_number: 0, depends: [], subdir: 'linux-64' };
const PATHS = { paths_version: 1, paths: [{ _path: 'share/hello.txt', path_type: 'hardlink', size_in_bytes: body.byteLength }] };

/** A .conda whose index.json and paths.json texts are given (JSON text, so any shape fits). */
function conda(index: string, paths: string, opts: { level?: 0 | 6 } = {}): Uint8Array {
  const info = tarBytes([
    { name: 'info/index.json', type: 'file', body: enc.encode(index) },
    { name: 'info/paths.json', type: 'file', body: enc.encode(paths) },
  ]);
  const pkg = tarBytes([{ name: 'share/hello.txt', type: 'file', body }]);
  return zipSync({
    'metadata.json': enc.encode('{"conda_pkg_format_version": 2}'),
    'info-docs-1.0-0.tar.zst': rawZstdFrame(info),
    'pkg-docs-1.0-0.tar.zst': rawZstdFrame(pkg),
  }, { level: opts.level ?? 0 });
}

/** Opens and installs (every body read); resolves to the error's code and message, or 'clean'. */
async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    const inst = await installPackage(await openCondaPackage(new Blob([bytes as Uint8Array<ArrayBuffer>]), 'docs-1.0-0.conda'), { epoch: 0 });
    for (const e of inst.entries) if (e.body instanceof Blob) await e.body.arrayBuffer();
    return 'clean';
  } catch (e) {
    if (e instanceof CoreError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

const ok = (v: unknown) => JSON.stringify(v);

/** The offset of the central directory's first entry (its signature). */
function centralDirectory(zip: Uint8Array): number {
  for (let i = zip.length - 22; i >= 0; i--) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x05 && zip[i + 3] === 0x06) return new DataView(zip.buffer).getUint32(i + 16, true);
  }
  throw new Error('no EOCD');
}

describe('malformed conda packages end in typed errors', () => {
  it('the package written here installs cleanly', async () => {
    expect(await outcome(conda(ok(INDEX), ok(PATHS)))).toBe('clean');
  });

  it('an index.json that is null', async () => {
    expect(await outcome(conda('null', ok(PATHS)))).toMatch(/^archive-invalid: docs-1\.0-0\.conda: info\/index\.json is null, not a JSON object/);
  });

  it('an index.json without a name', async () => {
    expect(await outcome(conda(ok({ ...INDEX, name: undefined }), ok(PATHS)))).toMatch(/^archive-invalid: .*info\/index\.json has no name\/version/);
  });

  it('an index.json whose license nests 20,000 deep', async () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    expect(await outcome(conda(ok(INDEX).replace(/}$/, `,"license":${deep}}`), ok(PATHS)))).toMatch(/^archive-invalid: .*"license" that is an object, not a string/);
  });

  it('a paths.json with a null entry', async () => {
    expect(await outcome(conda(ok(INDEX), ok({ paths: [null] })))).toMatch(/^archive-invalid: .*info\/paths\.json entry 0 is null/);
  });

  it('a paths.json entry with null optional fields reads them as absent', async () => {
    expect(await outcome(conda(ok(INDEX), ok({ paths: [{ ...PATHS.paths[0], sha256: null, prefix_placeholder: null, no_link: null }] })))).toBe('clean');
  });

  it('a paths.json entry with a negative size', async () => {
    expect(await outcome(conda(ok(INDEX), ok({ paths: [{ ...PATHS.paths[0], size_in_bytes: -1 }] })))).toMatch(/^archive-invalid: .*"size_in_bytes" of -1, not a byte count/);
  });

  it('a zip entry whose name runs past the central directory', async () => {
    const zip = conda(ok(INDEX), ok(PATHS));
    new DataView(zip.buffer).setUint16(centralDirectory(zip) + 28, 0xffff, true); // file name length
    expect(await outcome(zip)).toMatch(/^archive-invalid: not a valid \.conda \(zip\) file: a central directory entry runs past the directory/);
  });

  it('a zip member with bad deflate data', async () => {
    const zip = conda(ok(INDEX), ok(PATHS), { level: 6 });
    // the info member's data starts after its 30-byte local header, name and extra field; garble it
    const name = Buffer.from(zip).indexOf('info-docs-1.0-0.tar.zst');
    const dv = new DataView(zip.buffer);
    const start = name + dv.getUint16(name - 4, true) + dv.getUint16(name - 2, true);
    zip.fill(0xff, start, start + 8);
    const got = await outcome(zip);
    expect(got).toMatch(/^(compression-corrupt|archive-invalid): /);
  });

  it('a zstd frame that declares an absurd size', async () => {
    const zip = conda(ok(INDEX), ok(PATHS));
    const huge = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x0b, 0, 0, 0]); // 2^60 bytes declared
    const { unzipSync } = await import('fflate');
    const files = unzipSync(zip);
    files['info-docs-1.0-0.tar.zst'] = huge;
    expect(await outcome(zipSync(files, { level: 0 }))).toMatch(/^(archive-invalid|compression-corrupt): /);
  });
});

describe('malformed repodata ends in typed errors', () => {
  const rec = { name: 'a', version: '1', build: '0', build_number: 0, depends: [] };
  const parse = (packages: unknown) => () => parseRepodata({ packages }, 'https://conda.invalid/c/', 'linux-64');

  it('a null record', () => {
    expect(parse({ 'a-1-0.tar.bz2': null })).toThrow(expect.objectContaining({ code: 'repodata-invalid', message: expect.stringMatching(/record a-1-0\.tar\.bz2 is null/) }));
  });

  it('a build_number nested 100,000 deep (found by the fuzzer, seed 1, repodata input 739)', () => {
    const deep = JSON.parse(`{"a-1-0.tar.bz2":{"name":"a","version":"1","build":"0","build_number":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`) as unknown;
    expect(parse(deep)).toThrow(expect.objectContaining({ code: 'repodata-invalid', message: expect.stringMatching(/build_number that is not a number/) }));
    expect(parse({ 'a-1-0.tar.bz2': rec })()).toHaveLength(1);
  });
});
