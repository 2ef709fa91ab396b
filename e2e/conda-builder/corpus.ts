/**
 * The benchmark corpus (issue 5): ~50 deterministic `.conda` packages, ~300 MiB of uncompressed payload,
 * shaped like a scientific environment. A few big packages — an MKL-like set of shared libraries (~70 MiB),
 * a python-like package (thousands of small .py and __pycache__ files, extension modules, the interpreter
 * and libpython), numpy/scipy/pandas-like ones — and many small ones (pure-python, noarch: python with entry
 * points, small C libraries, tzdata/terminfo-like trees of tiny files). File contents compress like real
 * ones: source-like text (~4× under zstd), machine-code-like binary with string tables and relocation-like
 * tables (~2.5×), and some incompressible bytes (fonts, images, compressed test data). Some files carry the
 * text placeholder (scripts' shebangs, sysconfig data), some the binary one (NUL-terminated strings in
 * ELF-like files), so relocation is part of installing; symlinks as real packages have them; depends form a
 * chain (libgcc-ng → openssl → python → numpy → scipy/pandas, …) so the planner orders them.
 *
 * Same bytes every time (a seeded PRNG per package; tars by the project's writer; `zstd -10`, below
 * conda-forge's -19 to keep the one-time generation at ~10 s: zstd decodes either at about the same speed).
 * Written once into `.cache/harness/conda-builder/corpus-<variant>-<key>/` (key: this file's digest), as a
 * channel with linux-64 and noarch repodata.json. `quick` is the CI variant: the same packages at ~3% of
 * the sizes (a few MiB, seconds).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { SolvedRecord } from '../../src/core/solver';
import { writeTar, type TarWriteEntry } from '../../src/core/tar';
import { cacheDir } from '../harness/util';
import { createRandom } from '../../bench/plan';

/** The placeholder every relocatable corpus file carries (conda-forge style: 255 bytes). */
export const CORPUS_PLACEHOLDER = ('/home/conda/feedstock_root/build_artifacts/bench_1700000000/_h_env' + '_placehold'.repeat(30)).slice(0, 255);

/** zstd level of the payload members (conda-forge uses -19; see the module comment). */
export const CORPUS_ZSTD_LEVEL = 10;

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

type Rand = () => number;

/** the bench's deterministic generator (mulberry32) */
const prng: (seed: number) => Rand = createRandom;

/** A log-normal size around `median` bytes (sigma ~1: a long tail of bigger files), at least 32 bytes. */
function logNormal(r: Rand, median: number, sigma = 1): number {
  const n = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Math.max(32, Math.round(median * Math.exp(sigma * n)));
}

// ---------------------------------------------------------------- contents

/** A vocabulary of identifiers (the same for every package: real code shares its words). */
const VOCAB: string[] = (() => {
  const r = prng(7);
  const syll = ['ar', 'ra', 'ay', 'get', 'set', 'val', 'ue', 'in', 'dex', 'da', 'ta', 'fr', 'ame', 'col', 'umn', 'sh', 'ape', 'typ', 'e', 'lin', 'alg', 'mat', 'rix', 'vec', 'tor', 'ser', 'ies', 'ax', 'is', 'mod', 'ule', 'fun', 'c', 'buf', 'fer', 'str', 'ing', 'li', 'st', 'dic', 'ke', 'y', 'it', 'er', 'io', 'read', 'wri', 'te', 'pa', 'th', 'fi', 'le', 'err', 'or', 'ch', 'eck', 'par', 'se', 'to', 'ken'];
  const words = new Set<string>(['self', 'None', 'True', 'False', 'return', 'import', 'from', 'def', 'class', 'if', 'else', 'for', 'in', 'not', 'and', 'or', 'with', 'as', 'raise', 'try', 'except', 'yield', 'lambda', 'pass']);
  while (words.size < 2500) {
    const n = 1 + Math.floor(r() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += syll[Math.floor(r() * syll.length)];
    if (r() < 0.3) w += '_' + syll[Math.floor(r() * syll.length)];
    if (r() < 0.1) w = w[0].toUpperCase() + w.slice(1);
    words.add(w);
  }
  return [...words];
})();

/** A word, skewed towards the front of the vocabulary (a Zipf-like spread, as identifiers in code). */
const word = (r: Rand) => VOCAB[Math.floor(VOCAB.length * r() * r() * r() * r())];
const words = (r: Rand, n: number, sep = ' ') => Array.from({ length: n }, () => word(r)).join(sep);

/** Source-like text of exactly `size` bytes; `placeholderLines` lines carry the placeholder. */
function sourceText(r: Rand, size: number, opts: { shebang?: boolean; placeholderLines?: number } = {}): Uint8Array {
  const lines: string[] = [];
  let n = 0;
  const push = (l: string) => { lines.push(l); n += l.length + 1; };
  if (opts.shebang) push(`#!${CORPUS_PLACEHOLDER}/bin/python3.12`);
  for (let i = 0; i < (opts.placeholderLines ?? 0); i++) push(`${word(r).toUpperCase()}_PREFIX = '${CORPUS_PLACEHOLDER}/${words(r, 2, '/')}'`);
  size = Math.max(size, n); // a placeholder is never cut
  while (n < size) {
    const ind = '    '.repeat(Math.floor(r() * r() * 4));
    const k = r();
    if (k < 0.12) push(`${ind}def ${word(r)}(self, ${words(r, 1 + Math.floor(r() * 3), ', ')}):`);
    else if (k < 0.2) push(`${ind}"""${words(r, 4 + Math.floor(r() * 10))}."""`);
    else if (k < 0.3) push(`${ind}# ${words(r, 3 + Math.floor(r() * 9))}`);
    else if (k < 0.45) push(`${ind}${word(r)} = ${word(r)}.${word(r)}(${words(r, Math.floor(r() * 4), ', ')})`);
    else if (k < 0.55) push(`${ind}if ${word(r)} is not None and ${word(r)} > ${Math.floor(r() * 1000)}:`);
    else if (k < 0.65) push(`${ind}return ${word(r)}[${Math.floor(r() * 64)}] + ${word(r)}`);
    else if (k < 0.72) push(`from ${words(r, 2, '.')} import ${words(r, 1 + Math.floor(r() * 3), ', ')}`);
    else if (k < 0.8) push(`${ind}raise ${word(r)}Error("${words(r, 3 + Math.floor(r() * 6))}: %s" % ${word(r)})`);
    else if (k < 0.9) push(`${ind}self.${word(r)} = ${r() < 0.5 ? Math.floor(r() * 100) : `'${word(r)}'`}`);
    else push('');
  }
  const out = enc.encode(lines.join('\n') + '\n');
  if (out.byteLength >= size) return out.subarray(0, size);
  const full = new Uint8Array(size).fill(0x0a);
  full.set(out);
  return full;
}

const ELF_HEAD = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0);
const PYC_MAGIC = Uint8Array.of(0xcb, 0x0d, 0x0d, 0x0a);
/** CPython 3.12 opcodes, most frequent first (LOAD_FAST, LOAD_CONST, LOAD_ATTR, CALL, …) */
const OPCODES = Uint8Array.of(124, 100, 106, 171, 125, 116, 83, 1, 151, 114, 107, 110, 2, 9, 149, 160, 166, 122, 68, 93);

/** x86-64-like instruction templates: opcode bytes, then an operand of 0, 1 or 4 bytes. */
const OPS: Array<[Uint8Array, number]> = (() => {
  const r = prng(11);
  return Array.from({ length: 96 }, () => {
    const len = 1 + Math.floor(r() * r() * 4);
    return [Uint8Array.from({ length: len }, () => Math.floor(r() * 256)), [0, 0, 0, 1, 4][Math.floor(r() * 5)]] as [Uint8Array, number];
  });
})();

/**
 * ELF-like shared-library bytes of exactly `size`: a header, then runs of code (a skewed instruction mix,
 * near displacements, and repeats of earlier code as inlined functions and PLT stubs give), string tables
 * (symbol names), pointer-like tables, zero padding and a little incompressible data; `placeholders`
 * NUL-terminated strings holding the placeholder in the rodata.
 */
function elfLike(r: Rand, size: number, placeholders = 0): Uint8Array {
  const out = new Uint8Array(size);
  out.set(ELF_HEAD.subarray(0, Math.min(ELF_HEAD.length, size)));
  let i = Math.min(64, size);
  while (i < size) {
    const kind = r();
    const end = Math.min(size, i + 512 + Math.floor(r() * 8192));
    if (kind < 0.4) { // code
      while (i < end) {
        const [op, arg] = OPS[Math.floor(OPS.length * r() * r())];
        for (let j = 0; j < op.length && i < end; j++) out[i++] = op[j];
        if (arg === 1 && i < end) out[i++] = Math.floor(r() * 16) * 8;
        else if (arg === 4) {
          const v = Math.floor((r() - 0.5) * 2048) | 0;
          for (let j = 0; j < 4 && i < end; j++) out[i++] = (v >>> (8 * j)) & 0xff;
        }
      }
    } else if (kind < 0.62 && i > 65536) { // code seen before (inlined, templated): a copy from earlier
      while (i < end) {
        const len = Math.min(end - i, 32 + Math.floor(r() * 512));
        const from = 64 + Math.floor(r() * (i - 64 - len));
        out.copyWithin(i, from, from + len);
        i += len;
        // a changed byte or two (different registers, offsets)
        if (i < end) out[i++] = Math.floor(r() * 256);
      }
    } else if (kind < 0.77) { // .dynstr / .rodata: symbol names
      while (i < end) {
        const s = enc.encode(`_ZN${word(r).length}${word(r)}${r() < 0.5 ? 'E' : `_${word(r)}Ev`}`);
        const n = Math.min(s.length, end - i);
        out.set(s.subarray(0, n), i);
        i += n;
        if (i < end) out[i++] = 0;
      }
    } else if (kind < 0.89) { // relocation-like tables: increasing 8-byte pointers with flags
      let v = Math.floor(r() * 0x100000);
      while (i + 8 <= end) {
        v += 8 * (1 + Math.floor(r() * r() * 8));
        out[i] = v & 0xff; out[i + 1] = (v >>> 8) & 0xff; out[i + 2] = (v >>> 16) & 0xff; out[i + 3] = (v >>> 24) & 0xff;
        out[i + 4] = r() < 0.8 ? 7 : 8;
        i += 8;
      }
      i = end;
    } else if (kind < 0.97) { // alignment padding
      i = end;
    } else { // incompressible (build ids, compressed sections)
      while (i < end) out[i++] = Math.floor(r() * 256);
    }
  }
  for (let p = 0; p < placeholders && size > 4096; p++) {
    const s = enc.encode(`${CORPUS_PLACEHOLDER}/${p % 2 ? 'lib' : 'share/' + word(r)}\0`);
    out.set(s, 1024 + Math.floor(r() * (size - s.length - 2048)));
  }
  return out;
}

/** Incompressible bytes (fonts, images, compressed data files). */
function noise(r: Rand, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const words32 = new Uint32Array(out.buffer, 0, size >>> 2);
  for (let i = 0; i < words32.length; i++) words32[i] = r() * 4294967296;
  for (let i = words32.length * 4; i < size; i++) out[i] = r() * 256;
  return out;
}

/** .pyc-like bytes: marshal data, half names and constants, half opcodes (~3× under zstd). */
function pycLike(r: Rand, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(PYC_MAGIC.subarray(0, Math.min(4, size)));
  let i = Math.min(16, size);
  while (i < size) {
    if (r() < 0.5) {
      const s = enc.encode(word(r));
      out[i++] = 0xda; // short ascii
      if (i < size) out[i++] = s.length;
      for (let j = 0; j < s.length && i < size; j++) out[i++] = s[j];
    } else {
      for (let n = 0; n < 8 && i < size; n++) out[i++] = n & 1 ? Math.floor(r() * r() * r() * 24) : OPCODES[Math.floor(OPCODES.length * r() * r())];
    }
  }
  return out;
}

// ---------------------------------------------------------------- the plan

/** What a planned file holds (sizes in bytes). */
export type Content =
  | { kind: 'text'; size: number; shebang?: boolean; placeholderLines?: number }
  | { kind: 'elf'; size: number; placeholders?: number }
  | { kind: 'noise' | 'pyc'; size: number };

/** One file of a planned package (a symlink when `link` is set). */
interface PlannedFile { path: string; content?: Content; mode?: number; link?: string }

/** One planned package. */
export interface CorpusPackageSpec {
  name: string;
  version: string;
  subdir: 'linux-64' | 'noarch';
  depends: string[];
  noarch?: 'python' | 'generic';
  entryPoints?: string[];
  files: PlannedFile[];
}

const MiB = 1024 * 1024;

/** The corpus plan (deterministic): names, depends and every file with its content kind and size. */
export function corpusPlan(scale = 1): CorpusPackageSpec[] {
  const r = prng(20261126);
  const sz = (bytes: number) => Math.max(32, Math.round(bytes * scale));
  const count = (n: number) => Math.max(1, Math.round(n * scale));
  const elf = (path: string, mib: number, placeholders = 0): PlannedFile => ({ path, mode: 0o755, content: { kind: 'elf', size: sz(mib * MiB * (0.8 + 0.4 * r())), placeholders } });
  const text = (path: string, median: number, extra: Partial<Extract<Content, { kind: 'text' }>> = {}): PlannedFile => ({ path, content: { kind: 'text', size: sz(logNormal(r, median)), ...extra } });
  const script = (path: string): PlannedFile => ({ path, mode: 0o755, content: { kind: 'text', size: sz(logNormal(r, 1500, 0.5)), shebang: true } });
  const tree = (dir: string, n: number, median: number, ext = '.py'): PlannedFile[] => {
    const subdirs = Array.from({ length: Math.max(1, Math.ceil(count(n) / 25)) }, (_, i) => (i === 0 ? dir : `${dir}/${word(r)}${i}`));
    return Array.from({ length: count(n) }, (_, i) => text(`${subdirs[i % subdirs.length]}/${word(r)}_${i}${ext}`, median));
  };
  const pycache = (files: PlannedFile[]): PlannedFile[] => files.map((f) => {
    const slash = f.path.lastIndexOf('/');
    return { path: `${f.path.slice(0, slash)}/__pycache__/${f.path.slice(slash + 1, -3)}.cpython-312.pyc`, content: { kind: 'pyc', size: Math.round((f.content?.size ?? 100) * 0.7) } };
  });
  const sharedLib = (base: string, mib: number, placeholders = 0): PlannedFile[] => [
    elf(`lib/${base}.so.${1 + Math.floor(r() * 3)}.0`, mib, placeholders),
  ].flatMap((f) => [f, { path: `lib/${base}.so`, link: f.path.slice(4) }]);
  const py = 'lib/python3.12';
  const site = `${py}/site-packages`;
  const ext = (pkg: string, n: number, mib: number) => Array.from({ length: n }, (_, i) => elf(`${site}/${pkg}/${word(r)}_${i}.cpython-312-x86_64-linux-gnu.so`, mib * (0.3 + r() * 1.4)));
  const stdlib = tree(py, 2000, 6000);

  const pkgs: CorpusPackageSpec[] = [
    { name: 'libgcc-ng', version: '13.2.0', subdir: 'linux-64', depends: [], files: [...sharedLib('libgcc_s', 0.5), ...sharedLib('libgomp', 1.3)] },
    { name: 'libstdcxx-ng', version: '13.2.0', subdir: 'linux-64', depends: ['libgcc-ng'], files: [...sharedLib('libstdc++', 14)] },
    { name: 'libgfortran-ng', version: '13.2.0', subdir: 'linux-64', depends: ['libgcc-ng'], files: [...sharedLib('libgfortran', 2.8), ...sharedLib('libquadmath', 0.7)] },
    { name: 'openssl', version: '3.2.0', subdir: 'linux-64', depends: ['libgcc-ng', 'ca-certificates'], files: [
      ...sharedLib('libssl', 1.6, 1), ...sharedLib('libcrypto', 5.2, 2), elf('bin/openssl', 1.0, 1), script('bin/c_rehash'),
      ...tree('include/openssl', 130, 5000, '.h'), text('ssl/openssl.cnf', 12000, { placeholderLines: 3 }),
    ] },
    { name: 'mkl', version: '2023.2.0', subdir: 'linux-64', depends: ['libgcc-ng', 'libstdcxx-ng', 'llvm-openmp'], files: [
      ...sharedLib('libmkl_core', 18, 1), ...sharedLib('libmkl_intel_lp64', 8), ...sharedLib('libmkl_intel_thread', 16),
      ...sharedLib('libmkl_sequential', 10), ...sharedLib('libmkl_avx2', 8), ...sharedLib('libmkl_avx512', 7), ...sharedLib('libmkl_def', 4),
      ...sharedLib('libmkl_rt', 0.3, 1),
    ] },
    { name: 'python', version: '3.12.1', subdir: 'linux-64', depends: ['libgcc-ng', 'openssl', 'zlib', 'xz', 'bzip2', 'libffi', 'sqlite', 'ncurses', 'readline', 'tk', 'tzdata', 'libuuid'], files: [
      elf('bin/python3.12', 5.5, 2), { path: 'bin/python3', link: 'python3.12' }, { path: 'bin/python', link: 'python3.12' },
      ...sharedLib('libpython3.12', 4.5, 2), script('bin/2to3-3.12'), script('bin/idle3.12'), script('bin/pydoc3.12'), script('bin/python3.12-config'),
      ...stdlib, ...pycache(stdlib),
      text(`${py}/_sysconfigdata__linux_x86_64-linux-gnu.py`, 40000, { placeholderLines: 40 }),
      text(`${py}/config-3.12-x86_64-linux-gnu/Makefile`, 90000, { placeholderLines: 12 }),
      ...Array.from({ length: count(60) }, (_, i) => elf(`${py}/lib-dynload/_${word(r)}${i}.cpython-312-x86_64-linux-gnu.so`, 0.14 * (0.2 + r() * 1.6))),
      ...tree('include/python3.12', 150, 6000, '.h'),
    ] },
  ];
  const numpyPy = tree(`${site}/numpy`, 700, 9000);
  const scipyPy = tree(`${site}/scipy`, 1200, 8000);
  const pandasPy = tree(`${site}/pandas`, 900, 12000);
  pkgs.push(
    { name: 'numpy', version: '1.26.2', subdir: 'linux-64', depends: ['python', 'mkl', 'libgfortran-ng', 'libstdcxx-ng'], files: [
      ...numpyPy, ...pycache(numpyPy.slice(0, count(300))), ...ext('numpy/core', 8, 1.6), elf(`${site}/numpy/core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so`, 7, 1),
      { path: `${site}/numpy/core/tests/data/umath-validation-set.npz`, content: { kind: 'noise', size: sz(1.5 * MiB) } }, script('bin/f2py'),
    ] },
    { name: 'scipy', version: '1.11.4', subdir: 'linux-64', depends: ['numpy', 'libgfortran-ng', 'libstdcxx-ng'], files: [
      ...scipyPy, ...pycache(scipyPy.slice(0, count(200))), ...ext('scipy', 22, 1.1),
      { path: `${site}/scipy/misc/face.dat`, content: { kind: 'noise', size: sz(1.5 * MiB) } },
    ] },
    { name: 'pandas', version: '2.1.4', subdir: 'linux-64', depends: ['numpy', 'python-dateutil', 'pytz', 'tzdata'], files: [
      ...pandasPy, ...pycache(pandasPy.slice(0, count(200))), ...ext('pandas/_libs', 14, 0.8),
    ] },
    { name: 'fonts-and-images', version: '3.8.2', subdir: 'noarch', noarch: 'generic', depends: [], files: [ // matplotlib-base's mpl-data: fonts and PNGs
      ...Array.from({ length: count(40) }, (_, i) => ({ path: `share/mpl-data/fonts/ttf/${word(r)}${i}.ttf`, content: { kind: 'noise' as const, size: sz(logNormal(r, 90000, 0.8)) } })),
      ...Array.from({ length: count(120) }, (_, i) => ({ path: `share/mpl-data/images/${word(r)}${i}.png`, content: { kind: 'noise' as const, size: sz(logNormal(r, 4000, 1)) } })),
      ...tree('share/mpl-data/stylelib', 30, 1200, '.mplstyle'),
    ] },
    { name: 'tzdata', version: '2023c', subdir: 'noarch', noarch: 'generic', depends: [], files: Array.from({ length: count(600) }, (_, i) => ({ path: `share/zoneinfo/${word(r)}/${word(r)}${i}`, content: { kind: 'pyc' as const, size: sz(logNormal(r, 1200, 0.6)) } })) },
    { name: 'ncurses', version: '6.4', subdir: 'linux-64', depends: ['libgcc-ng'], files: [
      ...sharedLib('libncursesw', 0.45, 1), ...sharedLib('libtinfow', 0.25, 1), elf('bin/tic', 0.1, 1), script('bin/ncursesw6-config'),
      ...Array.from({ length: count(900) }, (_, i) => ({ path: `share/terminfo/${String.fromCharCode(97 + (i % 26))}/${word(r)}${i}`, content: { kind: 'pyc' as const, size: sz(logNormal(r, 1700, 0.4)) } })),
    ] },
    { name: 'tk', version: '8.6.13', subdir: 'linux-64', depends: ['libgcc-ng', 'zlib'], files: [...sharedLib('libtk8.6', 1.6, 1), ...sharedLib('libtcl8.6', 1.8, 1), ...tree('lib/tk8.6', 120, 9000, '.tcl'), ...tree('lib/tcl8.6', 180, 7000, '.tcl'), ...tree('include', 40, 9000, '.h')] },
    { name: 'sqlite', version: '3.44.2', subdir: 'linux-64', depends: ['libgcc-ng', 'zlib', 'ncurses', 'readline'], files: [...sharedLib('libsqlite3', 1.6, 1), elf('bin/sqlite3', 1.7, 1), text('include/sqlite3.h', 600000)] },
    { name: 'llvm-openmp', version: '17.0.6', subdir: 'linux-64', depends: ['libgcc-ng'], files: [...sharedLib('libomp', 1.4), ...sharedLib('libarcher', 0.1)] },
    { name: 'ca-certificates', version: '2023.11.17', subdir: 'linux-64', depends: [], files: [text('ssl/cacert.pem', 280000)] },
  );
  // small C libraries
  const smallLibs: Array<[string, number, string[]]> = [
    ['zlib', 0.12, ['libgcc-ng']], ['xz', 0.35, ['libgcc-ng']], ['bzip2', 0.08, ['libgcc-ng']], ['libffi', 0.05, ['libgcc-ng']],
    ['readline', 0.35, ['libgcc-ng', 'ncurses']], ['libuuid', 0.03, ['libgcc-ng']], ['libdeflate', 0.1, ['libgcc-ng']], ['lz4-c', 0.15, ['libgcc-ng', 'libstdcxx-ng']],
    ['zstd', 0.6, ['libgcc-ng', 'libstdcxx-ng', 'zlib', 'xz', 'lz4-c']], ['libxml2', 1.4, ['libgcc-ng', 'zlib', 'xz']], ['libpng', 0.3, ['libgcc-ng', 'zlib']],
    ['freetype', 0.7, ['libgcc-ng', 'libpng', 'zlib']], ['libjpeg-turbo', 0.6, ['libgcc-ng']], ['yaml', 0.15, ['libgcc-ng']],
  ];
  for (const [name, mib, depends] of smallLibs) {
    pkgs.push({ name, version: `${1 + Math.floor(r() * 5)}.${Math.floor(r() * 20)}`, subdir: 'linux-64', depends, files: [
      ...sharedLib(`lib${name.replace(/^lib/, '').replace(/-.*/, '')}`, mib, r() < 0.4 ? 1 : 0),
      ...tree(`include/${name}`, 2 + Math.floor(r() * 12), 7000, '.h'),
      ...(r() < 0.5 ? [elf(`bin/${name}-tool`, mib / 3, 1)] : []),
      ...(r() < 0.5 ? [text(`lib/pkgconfig/${name}.pc`, 300, { placeholderLines: 2 })] : []),
    ] });
  }
  // pure-python packages: noarch: python with entry points, a few with extension modules
  const purePy: Array<[string, number, string[]]> = [
    ['pip', 2.8, ['python', 'setuptools', 'wheel']], ['setuptools', 3.2, ['python']], ['wheel', 0.15, ['python']], ['six', 0.05, ['python']],
    ['python-dateutil', 0.6, ['python', 'six']], ['pytz', 0.9, ['python']], ['packaging', 0.25, ['python']], ['requests', 0.4, ['python', 'urllib3', 'idna', 'charset-normalizer', 'certifi']],
    ['urllib3', 0.5, ['python']], ['idna', 0.3, ['python']], ['charset-normalizer', 0.4, ['python']], ['certifi', 0.3, ['python', 'ca-certificates']],
    ['jinja2', 0.9, ['python', 'markupsafe']], ['markupsafe', 0.06, ['python']], ['pyyaml', 0.7, ['python', 'yaml']], ['click', 0.6, ['python']],
    ['tqdm', 0.3, ['python']], ['sympy', 5.5, ['python', 'mpmath']], ['mpmath', 1.4, ['python']], ['networkx', 3.6, ['python']],
  ];
  for (const [name, mib, depends] of purePy) {
    const mod = name.replace(/-/g, '_');
    const n = Math.max(2, Math.round(mib * MiB / 9000));
    const entry = r() < 0.4 ? [`${name} = ${mod}.__main__:main`] : [];
    pkgs.push({ name, version: `${1 + Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 9)}`, subdir: 'noarch', noarch: 'python', depends, entryPoints: entry, files: [
      ...tree(`site-packages/${mod}`, n, 6000),
      ...tree(`site-packages/${mod}-1.0.dist-info`, 4, 800, ''),
    ] });
  }
  return pkgs;
}

// ---------------------------------------------------------------- writing

/** The bytes of one planned file (exported for the bench's tests: how they compress). */
export function contentBytes(c: Content, r: Rand = prng(1)): Uint8Array {
  switch (c.kind) {
    case 'text': return sourceText(r, c.size, c);
    case 'elf': return elfLike(r, c.size, c.placeholders);
    case 'pyc': return pycLike(r, c.size);
    case 'noise': return noise(r, c.size);
  }
}

/** A placeholder in a body: which mode its file is relocated in. */
function placeholderMode(c: Content | undefined): 'text' | 'binary' | undefined {
  if (c?.kind === 'text' && (c.shebang || c.placeholderLines)) return 'text';
  if (c?.kind === 'elf' && c.placeholders) return 'binary';
  return undefined;
}

async function tarBytes(entries: TarWriteEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(writeTar(entries)).arrayBuffer());
}

/** zstd in a child process (so two packages compress at once while this thread generates). */
function zstd(data: Uint8Array): Promise<Uint8Array> {
  return new Promise((ok, fail) => {
    const child = execFile('zstd', ['-q', '-c', `-${CORPUS_ZSTD_LEVEL}`, '--no-check', '-T1'], { encoding: 'buffer', maxBuffer: 1 << 30 }, (err, stdout) => (err ? fail(err) : ok(new Uint8Array(stdout))));
    child.stdin!.end(data);
  });
}

/** One package of the written corpus. Sizes in bytes. */
export interface CorpusPackage {
  fn: string;
  name: string;
  subdir: 'linux-64' | 'noarch';
  /** the .conda file's size (compressed) */
  size: number;
  /** uncompressed payload: the sum of its file sizes */
  payload: number;
  /** the payload tar's size (uncompressed) */
  payloadTar: number;
  files: number;
  /** paths (as in paths.json) of the files with a text-mode placeholder */
  textPlaceholders: string[];
  sha256: string;
  record: Record<string, unknown> & { depends: string[]; version: string; build: string; build_number: number };
}

/** A written corpus. */
export interface Corpus {
  /** the channel folder: `<subdir>/repodata.json` and the packages */
  channel: string;
  /** every package, in plan order (not link order) */
  packages: CorpusPackage[];
  /** sum of the packages' file sizes (uncompressed payload), bytes */
  payloadBytes: number;
  /** sum of the .conda files' sizes, bytes */
  compressedBytes: number;
  /** files over all packages */
  files: number;
  /** seconds the generation took when it ran (undefined when the cached copy was used) */
  generatedSeconds?: number;
  /** the full path of a package file */
  path(p: CorpusPackage): string;
  /** solved records with depends (as a solve gives them; link order is the planner's job), URLs under `channelUrl` */
  records(channelUrl: string): SolvedRecord[];
  /** an explicit lock (`@EXPLICIT`, URL#sha256) of the corpus, in plan order */
  explicitLock(channelUrl: string): string;
}

/** Options of buildCorpus. */
export interface CorpusOptions {
  /** the CI variant: the same packages at ~3% of the sizes */
  quick?: boolean;
  /** where to keep it (default `.cache/harness/conda-builder`) */
  dir?: string;
  log?: (s: string) => void;
  /**
   * A copy of the corpus (1, 2, …; 0 is the corpus itself): the same plan with packages, paths and bytes of
   * its own (see copyPlan), so the corpus and its copies install side by side into one environment (the ~1 GB
   * environment of the memory bench is the corpus and two copies).
   */
  copy?: number;
}

/**
 * The plan of copy `k`: every package renamed `<name>-x<k>` (depends and entry points follow), every path moved
 * one folder down after its first part (`lib/libz.so` → `lib/x<k>/libz.so`; symlinks keep their targets, which
 * sit in the same folder), so no file of a copy lands on another copy's.
 */
export function copyPlan(plan: CorpusPackageSpec[], k: number): CorpusPackageSpec[] {
  if (k === 0) return plan;
  const names = new Set(plan.map((p) => p.name));
  const rename = (n: string) => (names.has(n) ? `${n}-x${k}` : n);
  const move = (path: string) => { const i = path.indexOf('/'); return i < 0 ? `x${k}/${path}` : `${path.slice(0, i)}/x${k}${path.slice(i)}`; };
  return plan.map((p) => ({
    ...p, name: rename(p.name), depends: p.depends.map((d) => d.replace(/^\S+/, rename)),
    ...(p.entryPoints ? { entryPoints: p.entryPoints.map((e) => e.replace(/^(\S+) =/, `$1-x${k} =`)) } : {}),
    files: p.files.map((f) => ({ ...f, path: move(f.path) })),
  }));
}

/** Corpora being written by this process, by folder: a second caller waits for the first writer. */
const writing = new Map<string, Promise<number>>();

/** Builds (or reuses) the corpus. */
export async function buildCorpus(opts: CorpusOptions = {}): Promise<Corpus> {
  const variant = `${opts.quick ? 'quick' : 'full'}${opts.copy ? `-copy${opts.copy}` : ''}`;
  const key = sha(readFileSync(new URL(import.meta.url))).slice(0, 12);
  const parent = opts.dir ?? join(cacheDir, 'conda-builder');
  const root = join(parent, `corpus-${variant}-${key}`);
  let generatedSeconds: number | undefined;
  if (!existsSync(join(root, 'corpus.json'))) {
    // one writer per folder in this process (a caller that gave up waiting must not race the next one);
    // each writer has its own temp folder, and the finished corpus appears by one rename
    let job = writing.get(root);
    if (!job) {
      job = writeCorpusFolder(parent, root, variant, key, opts).finally(() => writing.delete(root));
      writing.set(root, job);
    }
    generatedSeconds = await job;
  }
  const { packages } = JSON.parse(readFileSync(join(root, 'corpus.json'), 'utf8')) as { packages: CorpusPackage[] };
  const channel = join(root, 'channel');
  const url = (base: string, p: CorpusPackage) => `${base.replace(/\/+$/, '')}/${p.subdir}/${p.fn}`;
  return {
    channel, packages, ...(generatedSeconds !== undefined ? { generatedSeconds } : {}),
    payloadBytes: packages.reduce((a, p) => a + p.payload, 0),
    compressedBytes: packages.reduce((a, p) => a + p.size, 0),
    files: packages.reduce((a, p) => a + p.files, 0),
    path: (p) => join(channel, p.subdir, p.fn),
    records: (base) => packages.map((p) => ({
      name: p.name, version: p.record.version, build: p.record.build, buildNumber: p.record.build_number, subdir: p.subdir,
      url: url(base, p), channel: `${base.replace(/\/+$/, '')}/`, fn: p.fn, sha256: p.sha256, size: p.size, depends: p.record.depends,
    })),
    explicitLock: (base) => ['@EXPLICIT', ...packages.map((p) => `${url(base, p)}#${p.sha256}`)].join('\n') + '\n',
  };
}

/** Writes the corpus into a private temp folder and renames it to `root`; returns the seconds it took. */
async function writeCorpusFolder(parent: string, root: string, variant: string, key: string, opts: CorpusOptions): Promise<number> {
  const t0 = performance.now();
  mkdirSync(parent, { recursive: true });
  // corpora written by earlier versions of this file go (temp folders of live writers are left alone)
  for (const old of readdirSync(parent).filter((n) => new RegExp(`^corpus-${variant}-[0-9a-f]{12}$`).test(n) && join(parent, n) !== root)) {
    rmSync(join(parent, old), { recursive: true, force: true });
  }
  const tmp = join(parent, `.corpus-${variant}-${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const packages = await writeCorpus(join(tmp, 'channel'), copyPlan(corpusPlan(opts.quick ? 0.03 : 1), opts.copy ?? 0), opts.log, opts.copy ?? 0);
    writeFileSync(join(tmp, 'corpus.json'), JSON.stringify({ packages }));
    // another process may have finished first: its corpus is the same bytes, keep it
    if (!existsSync(join(root, 'corpus.json'))) {
      rmSync(root, { recursive: true, force: true });
      renameSync(tmp, root);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  opts.log?.(`[corpus] written in ${seconds.toFixed(1)} s (${root})`);
  return seconds;
}

/** Writes every package of the plan and the repodata into `channel`; two packages are compressed at once. */
async function writeCorpus(channel: string, plan: CorpusPackageSpec[], log?: (s: string) => void, copy = 0): Promise<CorpusPackage[]> {
  for (const sub of ['linux-64', 'noarch']) mkdirSync(join(channel, sub), { recursive: true });
  const out: CorpusPackage[] = new Array(plan.length);
  let next = 0;
  const one = async (idx: number) => {
    const p = plan[idx];
    const r = prng(1000 + idx + 100_000 * copy);
    const build = `h${sha(enc.encode(p.name)).slice(0, 7)}_0`;
    const dist = `${p.name}-${p.version}-${build}`;
    const files = p.files.map((f) => ({ ...f, body: f.content ? contentBytes(f.content, r) : undefined }));
    const bySize = new Map(files.map((f) => [f.path, f.body?.byteLength ?? 0]));
    const shaOf = new Map(files.map((f) => [f.path, f.body ? sha(f.body) : '']));
    const paths = files.map((f) => {
      const dir = f.path.slice(0, f.path.lastIndexOf('/') + 1);
      const target = f.link ? dir + f.link : f.path;
      const mode = placeholderMode(f.content);
      return {
        _path: f.path, path_type: f.link ? 'softlink' : 'hardlink', sha256: shaOf.get(target) ?? '', size_in_bytes: bySize.get(target) ?? 0,
        ...(mode ? { prefix_placeholder: CORPUS_PLACEHOLDER, file_mode: mode } : {}),
      };
    });
    const index = {
      name: p.name, version: p.version, build, build_number: 0, depends: p.depends, license: 'BSD-3-Clause', subdir: p.subdir,
      timestamp: 1700000000000, ...(p.noarch ? { noarch: p.noarch } : {}),
    };
    const payload = await tarBytes(files.map((f): TarWriteEntry => (f.link
      ? { name: f.path, type: 'symlink', linkname: f.link, mode: 0o777 }
      : { name: f.path, type: 'file', mode: f.mode ?? 0o644, body: f.body! })));
    const info = await tarBytes([
      { name: 'info/index.json', type: 'file', body: enc.encode(JSON.stringify(index, null, 2)) },
      { name: 'info/paths.json', type: 'file', body: enc.encode(JSON.stringify({ paths, paths_version: 1 }, null, 2)) },
      ...(p.entryPoints?.length ? [{ name: 'info/link.json', type: 'file' as const, body: enc.encode(JSON.stringify({ noarch: { type: 'python', entry_points: p.entryPoints }, package_metadata_version: 1 })) }] : []),
    ]);
    const [pz, iz] = await Promise.all([zstd(payload), zstd(info)]);
    const zip = zipSync({
      'metadata.json': enc.encode('{"conda_pkg_format_version": 2}'),
      [`info-${dist}.tar.zst`]: iz,
      [`pkg-${dist}.tar.zst`]: pz,
    }, { level: 0, mtime: new Date(1980, 0, 1) });
    const fn = `${dist}.conda`;
    writeFileSync(join(channel, p.subdir, fn), zip);
    const digest = sha(zip);
    out[idx] = {
      fn, name: p.name, subdir: p.subdir, size: zip.byteLength, sha256: digest, payloadTar: payload.byteLength, files: files.length,
      textPlaceholders: paths.filter((x) => x.file_mode === 'text').map((x) => x._path),
      payload: files.reduce((a, f) => a + (f.body?.byteLength ?? 0), 0),
      record: { ...index, sha256: digest, md5: createHash('md5').update(zip).digest('hex'), size: zip.byteLength },
    };
    log?.(`[corpus] ${fn}: ${(out[idx].payload / MiB).toFixed(1)} MiB in ${files.length} files → ${(zip.byteLength / MiB).toFixed(1)} MiB`);
  };
  await Promise.all([0, 1].map(async () => { while (next < plan.length) await one(next++); }));
  for (const sub of ['linux-64', 'noarch'] as const) {
    const records = Object.fromEntries(out.filter((p) => p.subdir === sub).map((p) => [p.fn, p.record]));
    writeFileSync(join(channel, sub, 'repodata.json'), JSON.stringify({ info: { subdir: sub }, packages: {}, 'packages.conda': records, repodata_version: 1 }, null, 1));
  }
  return out;
}
