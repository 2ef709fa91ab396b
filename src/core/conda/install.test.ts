/**
 * Installing real packages from the shared fixtures: the files each lists, placeholders replaced (binary
 * files keep their length), noarch python relocated with entry points, symlinks kept, clobbers reported,
 * conda-meta records shaped like real ones; corrupt, unsafe and bomb packages refused.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, haveFixtures } from '../../test-support/fixtures';
import type { TarWriteEntry } from '../tar';
import { installEnvironment } from './environment';
import { installPackage, type InstalledPackage } from './install';
import { openCondaPackage } from './package';

const open = async (rel: string) => openCondaPackage(await openAsBlob(fixture(rel)), rel.split('/').pop()!);
const bytesOf = async (e: TarWriteEntry): Promise<Uint8Array> =>
  e.body instanceof Uint8Array ? e.body : e.body instanceof Blob ? new Uint8Array(await e.body.arrayBuffer()) : e.body ? new Uint8Array(await new Response(e.body()).arrayBuffer()) : new Uint8Array();
const byName = (p: InstalledPackage) => new Map(p.entries.map((e) => [e.name, e]));
const dec = new TextDecoder();
const tmp = mkdtempSync(join(tmpdir(), 'conda-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveFixtures)('installPackage on real packages', () => {
  it('mock: the .conda and the .tar.bz2 install the same files with the same bytes', async () => {
    const a = await installPackage(await open('conda-package-handling/tests/data/mock-2.0.0-py37_1000.conda'));
    const b = await installPackage(await open('conda-package-handling/tests/data/mock-2.0.0-py37_1000.tar.bz2'));
    expect(a.files).toEqual(b.files);
    expect(a.files.length).toBe(32);
    const [ma, mb] = [byName(a), byName(b)];
    for (const f of a.files) expect(Buffer.from(await bytesOf(ma.get(`opt/conda/${f}`)!)).equals(Buffer.from(await bytesOf(mb.get(`opt/conda/${f}`)!))), f).toBe(true);
  });

  it('zlib linux-64: the text placeholder is replaced by the prefix everywhere', async () => {
    const pkg = await open('conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2');
    const placeholders = pkg.paths.filter((p) => p.prefixPlaceholder);
    expect(placeholders.length).toBeGreaterThan(0);
    const inst = await installPackage(pkg, { prefix: '/opt/env' });
    for (const p of placeholders) {
      const text = dec.decode(await bytesOf(byName(inst).get(`opt/env/${p.path}`)!));
      expect(text, p.path).not.toContain(p.prefixPlaceholder!);
      expect(text, p.path).toContain('/opt/env');
    }
    const rec = inst.record as { paths_data: { paths: Array<{ _path: string; sha256_in_prefix?: string; prefix_placeholder?: string }> } };
    const pc = rec.paths_data.paths.find((p) => p.prefix_placeholder)!;
    const entry = byName(inst).get(`opt/env/${pc._path}`)!;
    expect(pc.sha256_in_prefix).toBe(createHash('sha256').update(await bytesOf(entry)).digest('hex'));
  });

  it('zlib osx-64: binary placeholders are replaced inside their strings and files keep their length', async () => {
    const pkg = await open('conda/tests/data/conda_format_repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2');
    const binaries = pkg.paths.filter((p) => p.fileMode === 'binary');
    expect(binaries.length).toBe(3);
    const inst = await installPackage(pkg);
    let relocated = 0;
    for (const p of binaries) {
      const before = new Uint8Array(await (await import('./package')).payloadFile(pkg, pkg.entries.get(p.path)!).arrayBuffer());
      const after = await bytesOf(byName(inst).get(`opt/conda/${p.path}`)!);
      expect(after.byteLength, p.path).toBe(before.byteLength);
      expect(Buffer.from(after).includes(Buffer.from(p.prefixPlaceholder!)), p.path).toBe(false);
      // two of the three dylibs are 0-byte stand-ins in this re-packed fixture (CATALOGUE caveat)
      if (Buffer.from(before).includes(Buffer.from(p.prefixPlaceholder!))) {
        relocated++;
        const i = Buffer.from(after).indexOf('/opt/conda/');
        expect(i, p.path).toBeGreaterThan(0);
        // the rest of that C string was moved up and NUL-padded to the old end
        const end = Buffer.from(before).indexOf(0, Buffer.from(before).indexOf(Buffer.from(p.prefixPlaceholder!)));
        expect(after[end - 1], p.path).toBe(0);
      }
    }
    expect(relocated).toBe(1);
    // a prefix longer than the placeholder cannot fit: refused, not corrupted
    await expect(installPackage(pkg, { prefix: '/' + 'x'.repeat(300) })).rejects.toThrow(/longer than the package's binary placeholder/);
  });

  it('relocateInPlace on an in-memory payload: binary files relocated inside it, the same bytes and records as copies', async () => {
    const rel = 'conda/tests/data/conda_format_repo/osx-64/zlib-1.2.11-h1de35cc_3.tar.bz2';
    const inMemory = async () => openCondaPackage(await openAsBlob(fixture(rel)), 'zlib-1.2.11-h1de35cc_3.tar.bz2', { inMemory: { maxPayload: 1 << 26 } });
    const copied = await installPackage(await inMemory());
    const pkg = await inMemory();
    expect(pkg.payload).toBeInstanceOf(Uint8Array);
    const before = (pkg.payload as Uint8Array).slice();
    const inPlace = await installPackage(pkg, { relocateInPlace: true });
    expect(inPlace.record).toEqual(copied.record);
    const [a, b] = [byName(copied), byName(inPlace)];
    for (const [name, e] of a) expect(Buffer.from(await bytesOf(b.get(name)!)).equals(Buffer.from(await bytesOf(e))), name).toBe(true);
    // the relocated dylib was changed inside the payload itself (no copy of it)
    expect(Buffer.from(pkg.payload as Uint8Array).equals(Buffer.from(before))).toBe(false);
  });

  it('zlib linux-64 .conda: the re-packed symlinks without targets are reported and left out (CATALOGUE caveat)', async () => {
    const inst = await installPackage(await open('conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda'));
    expect(inst.warnings.filter((w) => /symlink without a target/.test(w)).length).toBe(2);
    expect(inst.files).not.toContain('lib/libz.so');
  });

  it('xtensor-io: long conda-forge text placeholders in headers, CMake and pkg-config files', async () => {
    const pkg = await open('quetz/plugins/quetz_harvester/tests/data/xtensor-io-0.10.3-hb585cf6_0.tar.bz2');
    const inst = await installPackage(pkg);
    for (const p of pkg.paths.filter((x) => x.prefixPlaceholder)) {
      expect(dec.decode(await bytesOf(byName(inst).get(`opt/conda/${p.path}`)!))).not.toContain(p.prefixPlaceholder!);
    }
    expect(inst.files).toEqual(pkg.paths.map((p) => p.path));
  });

  it('moto (noarch: python): site-packages relocated, entry point written with the prefix\'s python', async () => {
    const pkg = await open('conda/history/tests/data/legacy_repodata/noarch/moto-1.3.7-py_0.tar.bz2');
    await expect(installPackage(pkg)).rejects.toThrow(/needs python/);
    const inst = await installPackage(pkg, { pythonVersion: '3.11' });
    expect(inst.files.some((f) => f.startsWith('lib/python3.11/site-packages/moto/'))).toBe(true);
    expect(inst.files.some((f) => f.startsWith('site-packages/'))).toBe(false);
    const ep = dec.decode(await bytesOf(byName(inst).get('opt/conda/bin/moto_server')!));
    expect(ep.startsWith('#!/opt/conda/bin/python\n')).toBe(true);
    expect(ep).toContain('from moto.server import main');
    expect(ep).toContain('sys.exit(main())');
    expect(byName(inst).get('opt/conda/bin/moto_server')!.mode).toBe(0o755);
  });

  it('cph_test_data: relative, dangling and directory symlinks stay symlinks with their targets', async () => {
    const inst = await installPackage(await open('conda-package-handling/tests/data/cph_test_data-0.0.1-0.tar.bz2'));
    const links = inst.entries.filter((e) => e.type === 'symlink').map((e) => [e.name, e.linkname]);
    expect(links).toEqual(expect.arrayContaining([
      ['opt/conda/lib/libdangle.lib', 'libdangle.lib.1'],
      ['opt/conda/lib/terminfo', '../share/terminfo'],
      ['opt/conda/lib/python3.1', 'python3.10'],
    ]));
  });

  it('bcj-cffi, the clobber packages and the test-recipes install every listed path', async () => {
    const rels = ['anaconda-client/autotest/data/bcj-cffi-0.5.1-py310h295c915_0.tar.bz2',
      ...readdirSync(fixture('rattler/test-data/clobber')).filter((f) => /\.(conda|tar\.bz2)$/.test(f) && !f.includes('pynoarch')).map((f) => `rattler/test-data/clobber/${f}`)];
    for (const rel of rels) {
      const pkg = await open(rel);
      const inst = await installPackage(pkg, { pythonVersion: '3.12' });
      expect(inst.files.length, rel).toBe(pkg.paths.filter((p) => p.pathType !== 'directory').length);
    }
  });

  it('the pixi test channels: every package installs exactly the files its paths.json lists, no placeholder left', async () => {
    const base = 'pixi/tests/data/channels/channels';
    const rels = ['dummy_channel_1', 'global_prefix_ignore_channel', 'post_link_script_channel']
      .flatMap((c) => readdirSync(fixture(`${base}/${c}/linux-64`)).filter((f) => f.endsWith('.conda')).map((f) => `${base}/${c}/linux-64/${f}`));
    expect(rels.length).toBeGreaterThan(5);
    for (const rel of rels) {
      const pkg = await open(rel);
      const inst = await installPackage(pkg, { pythonVersion: '3.12' });
      const want = pkg.paths.filter((p) => p.pathType !== 'directory').map((p) => p.path).sort();
      expect(inst.files.slice().sort(), rel).toEqual(want);
      for (const p of pkg.paths.filter((q) => q.prefixPlaceholder)) {
        const entry = byName(inst).get(`opt/conda/${p.path}`);
        expect(entry, `${rel} ${p.path}`).toBeDefined();
        expect(dec.decode(await bytesOf(entry!)).includes(p.prefixPlaceholder!), `${rel} ${p.path}`).toBe(false);
      }
    }
  });

  it('reports clobbers: the later package wins', async () => {
    const env = await installEnvironment([
      await open('rattler/test-data/clobber/clobber-1-0.1.0-h4616a5c_0.tar.bz2'),
      await open('rattler/test-data/clobber/clobber-2-0.1.0-h4616a5c_0.tar.bz2'),
    ], { epoch: 1_700_000_000 });
    expect(env.clobbers.length).toBeGreaterThan(0);
    expect(env.clobbers[0].packages.at(-1)).toMatch(/^clobber-2-/);
    expect(env.warnings.some((w) => w.includes('wins'))).toBe(true);
    expect(dec.decode(env.history.body as Uint8Array)).toMatch(/^==> 2023-11-14 22:13:20 <==\n# cmd: docker-envs build\n\+local\/noarch::clobber-1-0\.1\.0-h4616a5c_0\n/);
  });

  it('link scripts are reported, never run or hidden', async () => {
    const inst = await installPackage(await open('rattler/test-data/link-scripts/link-scripts-0.1.0-h4616a5c_0.conda'));
    expect(inst.linkScripts.some((s) => s.includes('post-link'))).toBe(true);
    expect(inst.warnings.some((w) => /link script.*did not run/.test(w))).toBe(true);
  });

  it('conda-meta records have the keys and types of real installed records', async () => {
    const real = readdirSync(fixture('rattler/test-data/conda-meta')).filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(fixture(`rattler/test-data/conda-meta/${f}`), 'utf8')) as Record<string, unknown>);
    const types = new Map<string, Set<string>>();
    for (const r of real) for (const [k, v] of Object.entries(r)) types.set(k, (types.get(k) ?? new Set()).add(v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v));
    const inst = await installPackage(await open('conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda'), {
      origin: { url: 'https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda', channel: 'https://repo.anaconda.com/pkgs/main', md5: 'x', sha256: 'y', size: 1, requested_spec: 'zlib' },
    });
    for (const [k, v] of Object.entries(inst.record)) {
      expect(types.has(k), `key ${k} is not in real records`).toBe(true);
      expect(types.get(k)!.has(v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v), `type of ${k}`).toBe(true);
    }
    for (const k of ['name', 'version', 'build', 'build_number', 'depends', 'files', 'paths_data', 'link', 'url', 'channel', 'fn', 'subdir', 'md5', 'sha256']) {
      expect(inst.record, k).toHaveProperty(k);
    }
    const meta = inst.entries.find((e) => e.name === 'opt/conda/conda-meta/zlib-1.2.11-h7b6447c_3.json')!;
    expect(JSON.parse(dec.decode(meta.body as Uint8Array)).url).toBe('https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda');
  });
});

describe.skipIf(!haveFixtures)('bad packages', () => {
  it.each([
    ['conda-index/tests/index_data/corrupt/noarch/bad_package.tar.bz2', /not bzip2 data/],
    ['conda-index/tests/index_data/corrupt/noarch/another_bad_package.conda', /empty \(0 bytes\)/],
    ['conda-package-handling/history/tests/data/pkg_with_unicode.conda', /index\.json is missing|paths\.json|info\/files/],
  ])('%s is refused with a clear error', async (rel, re) => {
    await expect(open(rel)).rejects.toThrow(re);
  });

  function makeTarBz2(name: string, files: Record<string, string>, extraTarArgs: string[] = []): Promise<import('./package').CondaPackage> {
    const dir = join(tmp, name);
    for (const [p, c] of Object.entries(files)) { mkdirSync(join(dir, p, '..'), { recursive: true }); writeFileSync(join(dir, p), c); }
    const out = join(tmp, `${name}.tar.bz2`);
    execFileSync('sh', ['-c', `tar -C ${dir} -cf - ${extraTarArgs.join(' ')} info lib | bzip2 > ${out}`]);
    return openAsBlob(out).then((b) => openCondaPackage(b, `${name}.tar.bz2`));
  }
  const index = JSON.stringify({ name: 'evil', version: '1', build: '0', build_number: 0, subdir: 'noarch' });

  it('a package with ../ or absolute member paths is refused before anything is written', async () => {
    await expect(makeTarBz2('dotdot', { 'info/index.json': index, 'info/files': 'lib/x\n', 'lib/x': 'x' }, ['--transform=s,^lib/x,../../etc/evil,']))
      .rejects.toMatchObject({ code: 'unsafe-path' });
    await expect(makeTarBz2('abs', { 'info/index.json': index, 'info/files': 'lib/x\n', 'lib/x': 'x' }, ['--absolute-names', '--transform=s,^lib/x,/etc/evil,']))
      .rejects.toMatchObject({ code: 'unsafe-path' });
  });

  it('a package whose sha256 differs from the expected one is refused (digest-mismatch); the right one opens', async () => {
    const rel = 'conda/tests/data/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda';
    const blob = await openAsBlob(fixture(rel));
    const good = createHash('sha256').update(new Uint8Array(await blob.arrayBuffer())).digest('hex');
    await expect(openCondaPackage(blob, 'zlib.conda', { sha256: good })).resolves.toMatchObject({ format: 'conda' });
    await expect(openCondaPackage(blob, 'zlib.conda', { sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('a .tar.bz2 bigger than its paths.json declares stops at the declared bound, info/ first or last', async () => {
    const paths = JSON.stringify({ paths_version: 1, paths: [{ _path: 'lib/x', path_type: 'hardlink', size_in_bytes: 1 }] });
    const files = { 'info/index.json': index, 'info/paths.json': paths, 'lib/x': 'x'.repeat(30_000_000) };
    await expect(makeTarBz2('liar', files)).rejects.toThrow(/liar\.tar\.bz2 expands past \d{4,6} bytes, more than its paths\.json declares/);
    // info/ first (as conda writes): the cap tightens while decoding, so little reaches the spill
    let spilled = 0;
    const spill = async (st: ReadableStream<Uint8Array>) => {
      const r = st.getReader();
      for (let x = await r.read(); !x.done; x = await r.read()) spilled += x.value.byteLength;
      return new Blob([]);
    };
    await expect(openCondaPackage(await openAsBlob(join(tmp, 'liar.tar.bz2')), 'liar.tar.bz2', { spill })).rejects.toThrow(/more than its paths\.json declares/);
    expect(spilled).toBeLessThan(2_000_000);
    // info/ last: the same bound, checked once the payload is read
    const out = join(tmp, 'liar-last.tar.bz2');
    execFileSync('sh', ['-c', `tar -C ${join(tmp, 'liar')} -cf - lib info | bzip2 > ${out}`]);
    await expect(openCondaPackage(await openAsBlob(out), 'liar-last.tar.bz2')).rejects.toThrow(/expands past \d{4,6} bytes, more than its paths\.json declares/);
  });

  it('a bzip2 bomb stops expanding at the bound', async () => {
    const out = join(tmp, 'bomb.tar.bz2');
    execFileSync('sh', ['-c', `head -c 120000000 /dev/zero | bzip2 -9 > ${out}`]);
    const blob = await openAsBlob(out);
    expect(blob.size).toBeLessThan(1000);
    await expect(openCondaPackage(blob, 'bomb.tar.bz2')).rejects.toThrow(/expands past \d+ bytes/);
  });
});
