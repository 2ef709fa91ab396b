/**
 * The fuzzer's seeded mutators. Each takes a seed input and the run's PRNG and returns one hostile
 * variant: bit flips, truncations, binary header field overwrites, JSON field overwrites with huge,
 * negative, null and wrong-typed values, deep nesting, decompression bombs, traversal names and links
 * out of the archive. Tar inputs are rewritten member by member with the project's own tar writer,
 * `.conda` packages are re-zipped with their tars framed as stored zstd, so structural mutations reach
 * the JSON documents inside them and not only the outer bytes.
 */
import { gzipSync } from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';
import { rawZstdFrame } from '../../src/core/conda/repodata-shard';
import { zstdDecodeAny } from '../../src/core/compress/zstd-wasm';
import { indexTarBytes, tarBytes, type TarWriteEntry } from '../../src/core/tar';

/** A deterministic source of numbers in [0, 1). */
export type Random = () => number;

const enc = new TextEncoder();
const dec = new TextDecoder();

export const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Random, n: number): number => Math.floor(r() * n);

/** Values a JSON field is overwritten with: huge, negative, null, wrong types, deep nesting. */
export function hostileValue(r: Random): unknown {
  switch (int(r, 16)) {
    case 0: return null;
    case 1: return -1;
    case 2: return 2 ** 53 + 2;
    case 3: return 1e308 * 10; // Infinity serialises as null: still a hostile null
    case 4: return '';
    case 5: return 'x'.repeat(70_000);
    case 6: return [];
    case 7: return {};
    case 8: return [null, null];
    case 9: return true;
    case 10: return 0xffffffff;
    case 11: return '../../../etc/passwd';
    case 12: return { length: -1 };
    case 13: return 'sha256:' + 'f'.repeat(64);
    case 14: return [{ mediaType: 'application/x-unknown', digest: 'sha256:' + '0'.repeat(64), size: -5 }];
    default: return r() < 0.5 ? DEEP : DEEP_OBJ;
  }
}

/** Stands for a deeply nested value: replaced in the JSON text by jsonText (a value this deep cannot be stringified). */
const DEEP = '@@deep-arrays@@';
const DEEP_OBJ = '@@deep-objects@@';
const DEEP_TEXT = '['.repeat(100_000) + ']'.repeat(100_000);
const DEEP_OBJECT = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);

/** A JSON text of a mutated value, deep nesting spliced in where mutateJson put it. */
export function jsonText(v: unknown): string {
  return (JSON.stringify(v) ?? 'null').replaceAll(`"${DEEP}"`, () => DEEP_TEXT).replaceAll(`"${DEEP_OBJ}"`, () => DEEP_OBJECT);
}

/** Every [container, key] in a JSON value (depth-first, bounded). */
function slots(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = [], depth = 0): typeof out {
  if (depth > 12 || out.length > 5000 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([v, i]); slots(x, out, depth + 1); });
  else for (const [k, x] of Object.entries(v)) { out.push([v as Record<string, unknown>, k]); slots(x, out, depth + 1); }
  return out;
}

/** A JSON document with one to three fields overwritten, deleted or deeply nested. */
export function mutateJson(value: unknown, r: Random): unknown {
  if (r() < 0.05) return hostileValue(r);
  const v = structuredClone(value);
  const all = slots(v);
  if (all.length === 0) return hostileValue(r);
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const [c, k] = pick(r, all);
    const op = int(r, 10);
    if (op === 0 && !Array.isArray(c)) delete (c as Record<string, unknown>)[k as string];
    else if (op === 1) (c as Record<string | number, unknown>)[k] = r() < 0.5 ? DEEP : DEEP_OBJ;
    else (c as Record<string | number, unknown>)[k] = hostileValue(r);
  }
  return v;
}

/** Byte-level mutations: bit flips, truncation, runs of 0x00/0xff, copied spans. */
export function mutateBytes(input: Uint8Array, r: Random): Uint8Array {
  const out = new Uint8Array(input);
  if (out.length === 0) return out;
  switch (int(r, 5)) {
    case 0: { // bit flips
      for (let n = 1 + int(r, 8); n > 0; n--) out[int(r, out.length)] ^= 1 << int(r, 8);
      return out;
    }
    case 1: return out.slice(0, int(r, out.length)); // truncation
    case 2: { // a run of 0x00 / 0xff / 0x7f
      const at = int(r, out.length);
      out.fill(pick(r, [0x00, 0xff, 0x7f, 0x30]), at, Math.min(out.length, at + 1 + int(r, 16)));
      return out;
    }
    case 3: { // one span copied over another
      const from = int(r, out.length), to = int(r, out.length), len = 1 + int(r, 512);
      out.copyWithin(to, from, Math.min(out.length, from + len));
      return out;
    }
    default: { // a little-endian 32-bit field set to a hostile number (zip offsets and sizes, zstd sizes)
      if (out.length < 4) return out.slice(0, int(r, out.length)); // no room for one: truncate
      const at = int(r, Math.max(1, out.length - 4));
      new DataView(out.buffer).setUint32(at, pick(r, [0xffffffff, 0x7fffffff, 0x80000000, out.length + 1, 0]), true);
      return out;
    }
  }
}

/** Tar header fields (offset, length) worth overwriting: name, mode, uid, size, mtime, checksum, type, linkname, prefix. */
const TAR_FIELDS: Array<[number, number]> = [[0, 100], [100, 8], [108, 8], [124, 12], [136, 12], [148, 8], [156, 1], [157, 100], [345, 155]];
const TAR_VALUES = ['77777777777', '-1', '\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', '', '../../evil', 'x', '5', '2', '99999999999'];

/** Overwrites a field of one tar header (found by its ustar magic) with a hostile value. */
export function mutateTarHeader(input: Uint8Array, r: Random): Uint8Array {
  const heads: number[] = [];
  for (let o = 0; o + 512 <= input.length && heads.length < 4096; o += 512) {
    if (dec.decode(input.subarray(o + 257, o + 262)) === 'ustar') heads.push(o);
  }
  if (heads.length === 0) return mutateBytes(input, r);
  const out = new Uint8Array(input);
  const h = pick(r, heads);
  const [off, len] = pick(r, TAR_FIELDS);
  const v = enc.encode(pick(r, TAR_VALUES)).subarray(0, len);
  out.fill(0, h + off, h + off + len);
  out.set(v, h + off);
  return out;
}

/** A member of a tar being rewritten. */
interface Member { entry: TarWriteEntry; body?: Uint8Array }

async function membersOf(tar: Uint8Array): Promise<Member[] | undefined> {
  try {
    const { entries } = await indexTarBytes(tar);
    return entries.map((e): Member | undefined => {
      const type = e.type === 'file' || e.type === 'contiguous' ? 'file' as const : e.type === 'symlink' || e.type === 'hardlink' || e.type === 'directory' ? e.type : undefined;
      if (!type) return undefined;
      const body = type === 'file' ? tar.subarray(e.dataOffset, e.dataOffset + e.size) : undefined;
      return { entry: { name: e.name, type, mode: e.mode, ...(e.linkname ? { linkname: e.linkname } : {}) }, body };
    }).filter((m): m is Member => m !== undefined);
  } catch { return undefined; }
}

function tarOf(members: Member[]): Uint8Array {
  return tarBytes(members.map((m) => (m.body ? { ...m.entry, body: m.body } : m.entry)));
}

/** Renames the member whose header name is `from` (a ustar name field, checksum recomputed). */
function patchName(tar: Uint8Array, from: string, to: string): Uint8Array {
  for (let o = 0; o + 512 <= tar.length; o += 512) {
    if (dec.decode(tar.subarray(o, o + from.length + 1)) !== `${from}\0`) continue;
    tar.fill(0, o, o + 100);
    tar.set(enc.encode(to).subarray(0, 100), o);
    tar.fill(0x20, o + 148, o + 156);
    let sum = 0;
    for (let i = o; i < o + 512; i++) sum += tar[i];
    tar.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), o + 148);
    return tar;
  }
  return tar;
}

/** Precomputed bombs (built once per process): small inputs that expand far. */
export interface Bombs { gzip: Uint8Array; zstdHuge: Uint8Array; zstdZeros: Uint8Array }

let bombs: Bombs | undefined;
/**
 * Bombs: 16 MiB of zeros gzip-compressed, a zstd frame declaring 2^60 bytes, 16 MiB of zeros as zstd RLE blocks
 * (twice the lowered bound: buffered readers must stop at it; layers, which stream, may read them through).
 */
export function makeBombs(): Bombs {
  if (bombs) return bombs;
  const zeros = new Uint8Array(16 << 20);
  const gzip = new Uint8Array(gzipSync(zeros, { level: 9 })); // native zlib: built once per process, fast
  // zstd frame: magic, FHD = 8-byte content size (single segment), size 2^60, one RLE last block of 1 byte
  const zstdHuge = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0x10, (1 << 3 | 1 << 1 | 1) & 0xff, 0, 0, 0]);
  // 128 RLE blocks of 128 KiB zeros each: block header = size << 3 | type 1 (RLE) << 1 | last
  const blocks = 128, bs = 128 * 1024;
  const zstdZeros = new Uint8Array(6 + blocks * 4);
  zstdZeros.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]); // FHD 0: no content size, window descriptor 0x58 (8 MiB window)
  for (let b = 0; b < blocks; b++) {
    const h = (bs << 3) | (1 << 1) | (b === blocks - 1 ? 1 : 0);
    zstdZeros.set([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0], 6 + b * 4);
  }
  bombs = { gzip, zstdHuge, zstdZeros };
  return bombs;
}

const TRAVERSAL = ['../escape', '/etc/passwd', 'a/../../b', '', './', 'blobs/../../x', '..', 'manifest.json/..'];

/**
 * Structural mutation of a tar: one member's JSON rewritten, a member renamed to a traversal name,
 * a link added that points out of the archive or loops, a member replaced by a bomb, or members dropped.
 */
export async function mutateTar(input: Uint8Array, r: Random): Promise<Uint8Array> {
  const ms = await membersOf(input);
  if (!ms || ms.length === 0) return mutateBytes(input, r);
  const op = int(r, 7);
  const files = ms.filter((m) => m.body);
  const jsons = files.filter((m) => m.body!.length < (1 << 20) && /^\s*[[{n]/.test(dec.decode(m.body!.subarray(0, 16))));
  if ((op <= 2) && jsons.length) {
    const m = pick(r, jsons);
    let v: unknown;
    try { v = JSON.parse(dec.decode(m.body!)); } catch { return mutateBytes(input, r); }
    m.body = enc.encode(jsonText(mutateJson(v, r)));
    return tarOf(ms);
  }
  if (op === 3) { // a traversal name (the project's writer refuses some: written under a stand-in name, then patched)
    const stand = 'fuzz-rename-placeholder';
    pick(r, ms).entry.name = stand;
    return patchName(tarOf(ms), stand, pick(r, TRAVERSAL) + (r() < 0.5 ? '' : '/x'));
  }
  if (op === 4) { // a link out, or a loop, in place of a member
    const m = pick(r, ms);
    const linkname = pick(r, ['/etc/passwd', '../../../etc/shadow', m.entry.name, 'loop-b', '.']);
    m.entry = { name: m.entry.name, type: r() < 0.5 ? 'symlink' : 'hardlink', linkname };
    m.body = undefined;
    if (linkname === 'loop-b') ms.push({ entry: { name: 'loop-b', type: 'symlink', linkname: m.entry.name } });
    return tarOf(ms);
  }
  if (op === 5 && files.length) { // a bomb in place of a file (a layer, a config...)
    const b = makeBombs();
    pick(r, files).body = pick(r, [b.gzip, b.zstdHuge, b.zstdZeros]);
    return tarOf(ms);
  }
  // members dropped or duplicated
  if (r() < 0.5) ms.splice(int(r, ms.length), 1);
  else {
    const m = pick(r, ms);
    ms.push({ entry: { ...m.entry }, ...(m.body ? { body: enc.encode('{}') } : {}) });
  }
  return tarOf(ms);
}

/**
 * Structural mutation of a `.conda`: its info tar's JSON documents (index.json, paths.json, link.json)
 * rewritten, or a zip member replaced by garbage deflate data or a zstd bomb; tars are re-framed as stored zstd.
 */
export async function mutateConda(input: Uint8Array, r: Random): Promise<Uint8Array> {
  let files: Record<string, Uint8Array>;
  try { files = unzipSync(input); } catch { return mutateBytes(input, r); }
  const names = Object.keys(files);
  const info = names.find((n) => n.startsWith('info-'));
  const op = int(r, 5);
  if (op <= 2 && info) {
    let tar: Uint8Array;
    try { tar = zstdDecodeAny(files[info], { maxBytes: 64 << 20, what: info }); } catch { return mutateBytes(input, r); }
    const mutated = await (op === 2 ? mutateTar(tar, r) : mutateInfoJson(tar, r));
    files[info] = rawZstdFrame(mutated);
    return zipSync(files, { level: 0 });
  }
  if (op === 3 && names.length) { // garbage deflate data in a member (zip method 8)
    const name = pick(r, names);
    const garbage = mutateBytes(zipSync({ x: files[name] }, { level: 6 }), r);
    return zipSync({ ...files, [name]: garbage }, { level: 6 });
  }
  const pkg = names.find((n) => n.startsWith('pkg-'));
  if (pkg) {
    const b = makeBombs();
    files[pkg] = pick(r, [b.zstdHuge, b.zstdZeros]);
    return zipSync(files, { level: 0 });
  }
  return mutateBytes(input, r);
}

/** Rewrites one of the info JSON documents of an info tar (index.json, paths.json, link.json). */
async function mutateInfoJson(tar: Uint8Array, r: Random): Promise<Uint8Array> {
  const ms = await membersOf(tar);
  if (!ms) return tar;
  const docs = ms.filter((m) => m.body && /info\/(index|paths|link)\.json$/.test(m.entry.name));
  if (docs.length === 0) return tar;
  const m = pick(r, docs);
  try {
    m.body = enc.encode(jsonText(mutateJson(JSON.parse(dec.decode(m.body!)), r)));
  } catch { return tar; }
  return tarOf(ms);
}
