/**
 * The archive walk shared by `indexTar` (Blob) and `readTar` (stream): reads header blocks from a
 * `TarSource`, applies GNU long names and PAX records, and yields one resolved `TarEntry` per member.
 * After each yield the walk moves to the next header, skipping whatever of the body the consumer left.
 *
 * Behaviour follows GNU tar 1.34 (`tar -tv`): what GNU tar fails on throws a TarError, what it only
 * warns about is reported through `warn`. A 0-byte input throws 'tar-corrupt' ("does not look like a tar
 * archive", exit 2 in GNU tar); input that ends where a header would start (or with a partial block there)
 * only warns 'missing-end-marker'; input that ends inside entry data or an extension header is 'tar-truncated'.
 */
import { TarError } from '../errors';
import { BLOCK, cString, isZeroBlock, padded, parseHeader, parsePaxRecords, type RawHeader } from './header';
import { entryPathUnsafe } from './paths';
import type { TarEntry, TarEntryType, TarWarning } from './types';

/** Sequential access to the bytes of an uncompressed tar. */
export interface TarSource {
  /** byte offset of the next byte to be read */
  readonly position: number;
  /**
   * Reads exactly `n` bytes, or fewer only at the end of the input. The bytes may be overwritten by the
   * next read: copy what must outlive it.
   */
  read(n: number): Promise<Uint8Array>;
  /** The next `n` bytes when they are at hand without waiting (as `read`), else undefined and nothing consumed. */
  readSync?(n: number): Uint8Array | undefined;
  /** The next `n` bytes when they are at hand (as `readSync`), without consuming them. */
  peekSync?(n: number): Uint8Array | undefined;
  /** Skips `n` bytes when that needs no waiting (as `skip`), else undefined and nothing skipped. */
  skipSync?(n: number): number | undefined;
  /** Skips `n` bytes; returns how many were skipped (fewer only at the end of the input). */
  skip(n: number): Promise<number>;
  /** Called once when a walk that started ends (done, failed or returned early): the source may let go of its buffers. */
  close?(): void;
}

/** Largest extension header (PAX record set, GNU long name) accepted; bigger ones are hostile. */
export const MAX_EXTENSION_BYTES = 8 << 20;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory',
  '6': 'fifo', '7': 'contiguous', S: 'sparse', D: 'directory',
};

// PAX keywords GNU tar knows; others make it warn "Ignoring unknown extended header keyword".
const KNOWN_PAX = /^(atime|charset|comment|ctime|gid|gname|hdrcharset|linkpath|mtime|path|size|uid|uname|GNU\.sparse\.[a-z]+|GNU\.volume\.[a-z]+|GNU\.dumpdir|SCHILY\.(xattr\..*|acl\..*|dev|ino|nlink|filetype|realsize|fflags)|LIBARCHIVE\.xattr\..*|RHT\.security\.selinux)$/;

const NO_RECORDS: ReadonlyMap<string, Uint8Array> = new Map();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextDecoder();
const latin1 = new TextDecoder('latin1');

/** Names up to this many bytes are copied into a shared slab (longer ones get a buffer of their own). */
const SLAB_NAME = 4096;
const SLAB = 64 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A copy of a name's bytes that outlives the source's buffer: short names are carved out of a shared
 * 64 KiB slab, so a walk over many entries allocates one ArrayBuffer per slab, not one per entry.
 */
function keptName(bytes: Uint8Array): Uint8Array {
  if (bytes.length > SLAB_NAME) return bytes.slice();
  if (slabUsed + bytes.length > slab.length) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + bytes.length);
  out.set(bytes);
  slabUsed += bytes.length;
  return out;
}

/** False when the last name given by `decodeName` was not valid UTF-8 (its invalid bytes came out as U+FFFD). */
let nameValid = true;

/** A name as text (see `nameValid`). */
function decodeName(bytes: Uint8Array): string {
  nameValid = true;
  // ASCII names (nearly all) without a TextDecoder call, which costs more than a short name
  if (bytes.length <= 1024) {
    let ascii = true;
    for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i] < 0x80;
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8Strict.decode(bytes);
  } catch {
    nameValid = false;
    return utf8.decode(bytes);
  }
}

/**
 * A PAX numeric record. Like GNU tar, a valid numeric prefix is used and trailing garbage only warned
 * about ('bad-pax-number'); no digits at all is 'tar-corrupt'.
 */
function paxNumber(v: Uint8Array | undefined, key: string, offset: number, warn: (w: TarWarning) => void): number | undefined {
  if (v === undefined || v.length === 0) return undefined;
  const s = latin1.decode(v);
  const m = /^-?\d+(\.\d+)?/.exec(s);
  const n = m ? Number(m[0]) : NaN;
  if (!m || !Number.isFinite(n) || (key !== 'mtime' && !Number.isSafeInteger(n))) {
    throw new TarError('tar-corrupt', `PAX record ${key}=${s} is not a number`, offset);
  }
  if (m[0] !== s) warn({ code: 'bad-pax-number', message: `PAX record ${key}=${s} has trailing garbage; using ${m[0]}`, offset });
  return n;
}

async function readExact(src: TarSource, n: number, what: string): Promise<Uint8Array> {
  const at = src.position;
  const b = await src.read(n);
  if (b.length < n) throw new TarError('tar-truncated', `tar ends inside ${what} (${b.length} of ${n} bytes)`, at);
  return b;
}

/**
 * The walk's state between header blocks and its steps, shared by `walkTar` (one generator step per entry)
 * and `scanTar` (a callback per entry, no promise per entry while headers are at hand).
 */
class TarWalk implements Extensions {
  readonly globals = new Map<string, Uint8Array>();
  pax: Map<string, Uint8Array> | undefined;
  longName: Uint8Array | undefined;
  longLink: Uint8Array | undefined;
  /** offset of the first extension header of the pending entry */
  private entryStart = -1;
  /** offset just past the padded body of the last entry given */
  end = 0;

  constructor(
    private readonly src: TarSource,
    private readonly warn: (w: TarWarning) => void,
    private readonly signal: AbortSignal | undefined,
    private readonly keepNameBytes: boolean,
  ) {}

  /**
   * The next entry when it is a plain header (no extension header before it, none pending, not sparse)
   * whose block the source has at hand; else undefined and nothing consumed (`next` then reads it).
   * Gives what `next` would give for that block.
   */
  nextSync(): TarEntry | undefined {
    if (this.entryStart >= 0 || this.globals.size > 0 || !this.src.peekSync) return undefined;
    this.signal?.throwIfAborted();
    const at = this.src.position;
    const block = this.src.peekSync(BLOCK);
    if (!block) return undefined;
    const t = block[156];
    // 'x', 'g', 'L', 'K' (extensions), 'S' (old GNU sparse), or a zero block (the end): the full step
    if (t === 0x78 || t === 0x67 || t === 0x4c || t === 0x4b || t === 0x53 || (block[0] === 0 && isZeroBlock(block))) return undefined;
    const h = parseHeader(block, at);
    // past the block just peeked at (a skip makes no second view of it)
    if (this.src.skipSync?.(BLOCK) === undefined) this.src.readSync!(BLOCK);
    return this.finish(h, resolveNames(h, this, at, this.warn), at, at, this.src.position);
  }

  /** Reads header blocks up to the next entry; gives it, or at the end the archive's size (see `walkTar`). */
  async next(): Promise<TarEntry | number> {
    const { src, warn } = this;
    for (;;) {
      this.signal?.throwIfAborted();
      const at = src.position;
      const block = src.readSync?.(BLOCK) ?? await src.read(BLOCK);
      if (at === 0 && block.length < BLOCK) {
        throw new TarError('tar-corrupt', `input of ${block.length} bytes is shorter than one tar header: this does not look like a tar archive`, 0);
      }
      if (block.length === 0) {
        warn({ code: 'missing-end-marker', message: this.entryStart >= 0 ? 'tar ends after an extension header, without the entry it describes' : 'tar ends without the end-of-archive marker (two zero blocks)', offset: at });
        return at;
      }
      if (block.length < BLOCK) {
        // GNU tar takes a partial block where a header should start as the end of the archive, silently
        warn({ code: 'missing-end-marker', message: `tar ends with a partial block of ${block.length} bytes instead of the end-of-archive marker`, offset: at });
        return at;
      }
      if (isZeroBlock(block)) {
        const next = src.readSync?.(BLOCK) ?? await src.read(BLOCK);
        if (next.length === BLOCK && isZeroBlock(next)) return at + 2 * BLOCK;
        warn({ code: 'missing-end-marker', message: `a lone zero block at byte ${at} ends the archive`, offset: at });
        return at + BLOCK;
      }
      if (this.entryStart < 0) this.entryStart = at;
      const h = parseHeader(block, at);
      const dataStart = src.position;
      if (h.typeflag === 'x' || h.typeflag === 'g' || h.typeflag === 'L' || h.typeflag === 'K') {
        if (h.size > MAX_EXTENSION_BYTES) throw new TarError('tar-corrupt', `extension header of ${h.size} bytes is implausibly large`, at);
        // a copy: the source may reuse its bytes on the next read (the padding check below)
        const data = (await readExact(src, h.size, 'an extension header')).slice();
        if ((await src.skip(padded(h.size) - h.size)) < padded(h.size) - h.size) {
          throw new TarError('tar-truncated', 'tar ends inside the padding of an extension header', src.position);
        }
        if (h.typeflag === 'L') this.longName = cString(data);
        else if (h.typeflag === 'K') this.longLink = cString(data);
        else {
          const recs = parsePaxRecords(data, at);
          for (const key of recs.keys()) {
            if (!KNOWN_PAX.test(key)) warn({ code: 'unknown-pax-keyword', message: `ignoring unknown PAX keyword '${key}'`, offset: at });
          }
          if (h.typeflag === 'g') {
            // as GNU tar: a global header replaces the previous global records as a whole
            this.globals.clear();
            for (const [k, v] of recs) this.globals.set(k, v.slice());
          }
          else this.pax = new Map([...recs].map(([k, v]) => [k, v.slice()] as const)); // as GNU tar: the last 'x' header wins
        }
        continue;
      }
      const r = resolveNames(h, this, at, warn);
      if (h.gnuSparse?.extended) {
        // the header's bytes may be reused by the reads below
        r.nameBytes = r.nameBytes.slice();
        r.linkBytes = r.linkBytes.slice();
        // extension sparse blocks (21 map entries each, isextended at 504) sit between header and data
        for (let more = true; more; ) {
          const b = await readExact(src, BLOCK, 'a GNU sparse extension block');
          more = b[504] !== 0;
          r.sparseBlockBytes += BLOCK;
        }
      }
      return this.finish(h, r, this.entryStart, at, dataStart);
    }
  }

  /** The entry of a resolved header; the extensions it used are cleared, `end` set past its body. */
  private finish(h: RawHeader, r: Resolved, entryStart: number, at: number, dataStart: number): TarEntry {
    const entry = finishEntry(h, r, entryStart, at, dataStart, this.warn, this.keepNameBytes);
    this.pax = this.longName = this.longLink = undefined;
    this.entryStart = -1;
    this.end = entry.dataOffset + padded(entry.size);
    return entry;
  }

  /** Skips what is left of the last entry's body; a number (sync) when the source can, else a promise. */
  skipBody(name: string, size: number): void | Promise<void> {
    const left = this.end - this.src.position;
    if (left <= 0) return;
    const got = this.src.skipSync?.(left);
    if (got === undefined) return this.src.skip(left).then((n) => this.checkSkipped(n, left, name, size));
    this.checkSkipped(got, left, name, size);
  }

  private checkSkipped(got: number, left: number, name: string, size: number): void {
    if (got < left) throw new TarError('tar-truncated', `tar ends inside the data of '${name}' (${size} bytes declared); the archive is cut short`, this.src.position);
  }
}

/**
 * Walks the archive, yielding each entry; returns the archive's size (bytes up to and including the end
 * marker, or the end of the last entry when the marker is missing). With `keepNameBytes` false, an
 * entry's `nameBytes` may be a view of the source's bytes, valid only until the walk goes on (for a
 * caller that does not keep them: no copy is made per entry).
 */
export async function* walkTar(
  src: TarSource,
  warn: (w: TarWarning) => void,
  signal?: AbortSignal,
  keepNameBytes = true,
): AsyncGenerator<TarEntry, number, void> {
  const walk = new TarWalk(src, warn, signal, keepNameBytes);
  try {
    for (;;) {
      const entry = await walk.next();
      if (typeof entry === 'number') return entry;
      yield entry;
      await walk.skipBody(entry.name, entry.size);
    }
  } finally {
    src.close?.();
  }
}

/**
 * The walk of `walkTar` with a callback instead of a generator: `onEntry` gets each entry in turn (the
 * walk goes on when it returns; it must not keep `nameBytes` when `keepNameBytes` is false). Headers the
 * source has at hand are read without a promise per entry. Same entries, warnings, errors and result.
 */
export async function scanTar(
  src: TarSource,
  warn: (w: TarWarning) => void,
  onEntry: (entry: TarEntry) => void,
  signal?: AbortSignal,
  keepNameBytes = true,
): Promise<number> {
  const walk = new TarWalk(src, warn, signal, keepNameBytes);
  try {
    for (;;) {
      const entry = walk.nextSync() ?? await walk.next();
      if (typeof entry === 'number') return entry;
      onEntry(entry);
      const skipped = walk.skipBody(entry.name, entry.size);
      if (skipped) await skipped;
    }
  } finally {
    src.close?.();
  }
}

interface Extensions {
  globals: Map<string, Uint8Array>;
  pax?: Map<string, Uint8Array>;
  longName?: Uint8Array;
  longLink?: Uint8Array;
}

/** What an entry's header and extensions say of its name, link, type and sizes (the body offset after sparse blocks is added by the walk). */
interface Resolved {
  recs: ReadonlyMap<string, Uint8Array>;
  nameBytes: Uint8Array;
  linkBytes: Uint8Array;
  type: TarEntryType;
  size: number;
  realSize: number | undefined;
  /** bytes of GNU sparse extension blocks between the header and the data */
  sparseBlockBytes: number;
}

/** The first half of resolving an entry: its name and link bytes, type and sizes (warnings as they are met). */
function resolveNames(h: RawHeader, ext: Readonly<Extensions>, at: number, warn: (w: TarWarning) => void): Resolved {
  const recs = ext.globals.size === 0 && !ext.pax ? NO_RECORDS : new Map([...ext.globals, ...(ext.pax ?? [])]);
  let nameBytes = recs.get('path') ?? ext.longName ?? h.name;
  nameBytes = cString(nameBytes);
  const linkBytes = cString(recs.get('linkpath') ?? ext.longLink ?? h.linkname);
  let type: TarEntryType = TYPES[h.typeflag] ?? 'other';
  if (type === 'other') warn({ code: 'unknown-typeflag', message: `unknown typeflag '${h.typeflag}', treated as a regular file`, offset: at });
  if (h.typeflag === '\0' && nameBytes[nameBytes.length - 1] === 0x2f) type = 'directory'; // v7 directories
  // as GNU tar: hardlinks and directories carry no data whatever their size field says
  const size = h.typeflag === '1' || h.typeflag === '5' ? 0 : paxNumber(recs.get('size'), 'size', at, warn) ?? h.size;
  let realSize: number | undefined;
  if (h.gnuSparse) {
    realSize = h.gnuSparse.realSize;
  } else if (recs.size > 0 && (recs.get('GNU.sparse.major') || recs.get('GNU.sparse.size') || recs.get('GNU.sparse.realsize') || recs.get('GNU.sparse.numblocks'))) {
    type = 'sparse';
    realSize = paxNumber(recs.get('GNU.sparse.realsize') ?? recs.get('GNU.sparse.size'), 'GNU.sparse.size', at, warn);
    const sparseName = recs.get('GNU.sparse.name');
    if (sparseName) nameBytes = cString(sparseName);
  }
  return { recs, nameBytes, linkBytes, type, size, realSize, sparseBlockBytes: 0 };
}

/** The second half, once any sparse extension blocks are read: the name decoded and checked, the entry built. */
function finishEntry(h: RawHeader, r: Resolved, headerOffset: number, at: number, dataStart: number, warn: (w: TarWarning) => void, keepNameBytes: boolean): TarEntry {
  const { recs, nameBytes, linkBytes, type, size, realSize } = r;
  const dataOffset = dataStart + r.sparseBlockBytes;
  const name = decodeName(nameBytes);
  if (!nameValid) warn({ code: 'non-utf8-name', message: `entry name is not valid UTF-8: ${JSON.stringify(name)}`, offset: at });
  if (nameBytes.length === 0) warn({ code: 'empty-name', message: 'entry has an empty name', offset: at });
  const unsafe = entryPathUnsafe(name);
  if (unsafe === 'absolute' || unsafe === 'parent-traversal') {
    warn({ code: 'unsafe-path', message: `entry name '${name}' is ${unsafe === 'absolute' ? 'absolute' : 'outside the archive root (..)'}`, offset: at });
  }
  const entry: TarEntry = {
    name,
    nameBytes: keepNameBytes ? keptName(nameBytes) : nameBytes,
    type,
    typeflag: h.typeflag,
    mode: h.mode,
    uid: paxNumber(recs.get('uid'), 'uid', at, warn) ?? h.uid,
    gid: paxNumber(recs.get('gid'), 'gid', at, warn) ?? h.gid,
    uname: recs.get('uname') ? utf8.decode(recs.get('uname')) : h.uname,
    gname: recs.get('gname') ? utf8.decode(recs.get('gname')) : h.gname,
    mtime: paxNumber(recs.get('mtime'), 'mtime', at, warn) ?? h.mtime,
    linkname: type === 'symlink' || type === 'hardlink' ? utf8.decode(linkBytes) : '',
    size,
    devmajor: h.devmajor,
    devminor: h.devminor,
    headerOffset,
    dataOffset,
  };
  if (realSize !== undefined) entry.realSize = realSize;
  if (recs.size > 0) {
    const pax: Record<string, string> = {};
    for (const [k, v] of recs) pax[k] = utf8.decode(v);
    entry.pax = pax;
  }
  return entry;
}
