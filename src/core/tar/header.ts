/**
 * Parsing of single 512-byte tar header blocks and of PAX extended-header records, shared by the Blob
 * index (`indexTar`) and the streaming reader (`readTar`). Formats: POSIX ustar (prefix + name), star,
 * old GNU (sparse map, long names via `././@LongLink`), v7. Numbers are octal or GNU base-256.
 * Offsets below are byte offsets inside a header block (POSIX.1-1988 ustar layout).
 */
import { TarError } from '../errors';

/** Size of a tar block in bytes. */
export const BLOCK = 512;

/** Rounds a byte count up to a whole number of 512-byte blocks. */
export function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** The fields of one header block, before extension headers are applied. */
export interface RawHeader {
  /** name bytes (ustar prefix + '/' + name joined), up to the first NUL */
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  /** data bytes following this header (for 'S' old GNU sparse: the stored data only) */
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Uint8Array;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  format: 'ustar' | 'gnu' | 'star' | 'v7';
  /** old GNU sparse: the logical size, and whether extension sparse blocks follow (offset 482) */
  gnuSparse?: { realSize: number; extended: boolean };
}

const latin1 = new TextDecoder('latin1');

/**
 * A header text field as a string: ASCII bytes directly (most fields; a TextDecoder call costs more than
 * the field), anything else through the WHATWG 'latin1' decoder (windows-1252).
 */
export function latin1Text(b: Uint8Array): string {
  if (b.length > 256) return latin1.decode(b);
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return latin1.decode(b);
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/** An owner name field's last bytes and the string `ownerText` made of them. */
interface OwnerMemo { bytes: Uint8Array; length: number; text: string }
const unameMemo: OwnerMemo = { bytes: new Uint8Array(32), length: 0, text: '' };
const gnameMemo: OwnerMemo = { bytes: new Uint8Array(32), length: 0, text: '' };

/**
 * The owner name field at `start` (uname or gname: 32 bytes up to the first NUL) as `latin1Text` gives
 * it; the same bytes as the field's previous value give back the same string (a tar's entries mostly
 * share their owner), so no view or string is made per header.
 */
function ownerText(b: Uint8Array, start: number, memo: OwnerMemo): string {
  let n = 0;
  while (n < 32 && b[start + n] !== 0) n++;
  let same = n === memo.length;
  for (let i = 0; i < n && same; i++) same = b[start + i] === memo.bytes[i];
  if (same) return memo.text;
  const field = b.subarray(start, start + n);
  memo.bytes.set(field);
  memo.length = n;
  memo.text = latin1Text(field);
  return memo.text;
}

/** True if every byte of the block is zero (an end-of-archive block). */
export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const EMPTY = new Uint8Array(0);

/**
 * The bytes of a NUL-terminated field (the whole field if it has no NUL): a view of `b` (or `b` itself, or a
 * shared empty array), not a copy; callers do not write to it.
 */
export function cString(b: Uint8Array, start = 0, len = b.length - start): Uint8Array {
  const end = start + len;
  for (let i = start; i < end; i++) if (b[i] === 0) return i === start ? EMPTY : b.subarray(start, i);
  return start === 0 && end === b.length ? b : b.subarray(start, end);
}

/**
 * Reads a numeric field: octal digits padded with spaces/NULs, or GNU base-256 (first byte 0x80 for
 * positive, 0xff for negative values). Returns NaN for garbage.
 */
export function readNumber(b: Uint8Array, start: number, len: number): number {
  const first = b[start];
  if (first === 0x80 || first === 0xff) {
    // base-256, two's complement big-endian; the first byte's 0x80 bit marks the format (rare: use BigInt)
    let v = 0n;
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(b[start + i]);
    if (first === 0xff) v -= 1n << BigInt(8 * (len - 1));
    const n = Number(v);
    return Number.isSafeInteger(n) && BigInt(n) === v ? n : NaN;
  }
  let i = start;
  const end = start + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++; // leading spaces (and NUL-only fields)
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  // as GNU tar: the digits must end at the field's end or at a NUL/space; what follows is ignored
  if (i < end && b[i] !== 0 && b[i] !== 0x20) return NaN;
  return digits === 0 ? 0 : v;
}

/**
 * Checks the header checksum (offset 148, 8 bytes): the sum of all bytes with the checksum field taken as
 * spaces, accepted as unsigned or signed bytes (as GNU tar does for old writers).
 */
export function checksumOk(b: Uint8Array): boolean {
  const stored = readNumber(b, 148, 8);
  if (Number.isNaN(stored)) return false;
  // the checksum field (148..156) counts as eight spaces
  let unsigned = 8 * 0x20;
  let high = 0; // bytes > 127: each counts 256 less when bytes are taken as signed
  for (let i = 0; i < 148; i++) {
    const c = b[i];
    unsigned += c;
    high += c >> 7;
  }
  for (let i = 156; i < BLOCK; i++) {
    const c = b[i];
    unsigned += c;
    high += c >> 7;
  }
  return stored === unsigned || stored === unsigned - 256 * high;
}

function concatName(prefix: Uint8Array, name: Uint8Array): Uint8Array {
  if (prefix.length === 0) return name;
  const out = new Uint8Array(prefix.length + 1 + name.length);
  out.set(prefix, 0);
  out[prefix.length] = 0x2f; // '/'
  out.set(name, prefix.length + 1);
  return out;
}

function numberField(b: Uint8Array, start: number, len: number, what: string, offset: number): number {
  const v = readNumber(b, start, len);
  if (Number.isNaN(v)) {
    throw new TarError('tar-corrupt', `tar header has an invalid ${what} field; the archive is damaged or not a tar`, offset);
  }
  return v;
}

/**
 * Parses one non-zero header block at `offset` (used in error messages). Throws a TarError 'tar-corrupt'
 * on a bad checksum or a garbage/negative size.
 */
export function parseHeader(b: Uint8Array, offset: number): RawHeader {
  if (!checksumOk(b)) {
    throw new TarError('tar-corrupt', 'tar header checksum mismatch: this does not look like a tar archive, or it is damaged', offset);
  }
  // magic (6) + version (2) at 257, 263: "ustar\0" (POSIX; star adds "tar\0" at 508) or "ustar  \0" (GNU)
  const ustar = b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72;
  const format: RawHeader['format'] =
    ustar && b[262] === 0 ? (b[508] === 0x74 && b[509] === 0x61 && b[510] === 0x72 && b[511] === 0 ? 'star' : 'ustar')
    : ustar && b[262] === 0x20 && b[263] === 0x20 && b[264] === 0 ? 'gnu'
    : 'v7';
  let name = cString(b, 0, 100);
  if (format === 'ustar') name = concatName(cString(b, 345, 155), name);
  else if (format === 'star') name = concatName(cString(b, 345, 131), name);
  const size = numberField(b, 124, 12, 'size', offset);
  if (size < 0) throw new TarError('tar-corrupt', `tar header declares a negative size (${size})`, offset);
  const typeflag = String.fromCharCode(b[156]);
  const h: RawHeader = {
    name,
    mode: numberField(b, 100, 8, 'mode', offset) & 0o7777,
    uid: numberField(b, 108, 8, 'uid', offset),
    gid: numberField(b, 116, 8, 'gid', offset),
    size,
    mtime: numberField(b, 136, 12, 'mtime', offset),
    typeflag,
    linkname: cString(b, 157, 100),
    uname: format === 'v7' ? '' : ownerText(b, 265, unameMemo),
    gname: format === 'v7' ? '' : ownerText(b, 297, gnameMemo),
    devmajor: format === 'v7' ? 0 : readNumber(b, 329, 8) || 0,
    devminor: format === 'v7' ? 0 : readNumber(b, 337, 8) || 0,
    format,
  };
  if (typeflag === 'S' && format === 'gnu') {
    // old GNU sparse: 4 map entries at 386, isextended at 482, realsize (12) at 483
    h.gnuSparse = { realSize: numberField(b, 483, 12, 'sparse realsize', offset), extended: b[482] !== 0 };
  }
  return h;
}

/**
 * Parses PAX extended-header records (`"%d %s=%s\n"`, the length counting the whole record). Values are
 * kept as raw bytes (path names may be non-UTF-8 with hdrcharset=BINARY). Throws 'tar-corrupt' on a
 * malformed record, as GNU tar fails on them.
 */
export function parsePaxRecords(data: Uint8Array, offset: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const utf8 = new TextDecoder();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // NUL padding after the last record
    let len = 0;
    let j = i;
    while (j < data.length && data[j] >= 0x30 && data[j] <= 0x39) len = len * 10 + (data[j++] - 0x30);
    if (j === i || data[j] !== 0x20 || len <= j - i + 1 || i + len > data.length) {
      throw new TarError('tar-corrupt', 'malformed PAX extended header: bad record length', offset);
    }
    const rec = data.subarray(j + 1, i + len);
    if (rec[rec.length - 1] !== 0x0a) throw new TarError('tar-corrupt', 'malformed PAX extended header: missing newline', offset);
    const eq = rec.indexOf(0x3d); // '='
    const nul = rec.indexOf(0);
    if (eq <= 0 || (nul >= 0 && nul < eq)) throw new TarError('tar-corrupt', 'malformed PAX extended header: missing equal sign', offset);
    const key = utf8.decode(rec.subarray(0, eq));
    out.set(key, rec.subarray(eq + 1, rec.length - 1));
    i += len;
  }
  return out;
}
