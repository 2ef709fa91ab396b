/**
 * Deterministic tar writer: POSIX ustar headers where every field fits, a PAX extended header in front
 * otherwise. Identical input gives identical bytes: no PIDs, clocks or user names are ever filled in.
 */
import { CoreError, SizeMismatchError } from '../errors';
import { BLOCK, padded } from './header';
import type { TarWriteEntry } from './types';

const encoder = new TextEncoder();
const TYPEFLAG: Record<TarWriteEntry['type'], string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};
const MAX_OCTAL_7 = 0o7777777; // 8-byte fields: 7 digits + NUL
const SMALL_BLOB = 1 << 20;
const MAX_OCTAL_11 = 0o77777777777; // 12-byte fields: 11 digits + NUL (8 GiB - 1)

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7e || b[i] < 0x20) return false;
  return true;
}

function putOctal(h: Uint8Array, off: number, len: number, v: number): void {
  const s = v.toString(8).padStart(len - 1, '0');
  for (let i = 0; i < len - 1; i++) h[off + i] = s.charCodeAt(i);
  h[off + len - 1] = 0;
}

/** Octal when it fits, GNU base-256 otherwise (the PAX record carries the value too). */
function putNumber(h: Uint8Array, off: number, len: number, v: number): void {
  if (v >= 0 && v < 8 ** (len - 1)) return putOctal(h, off, len, v);
  let x = BigInt(v);
  for (let i = len - 1; i > 0; i--, x >>= 8n) h[off + i] = Number(x & 0xffn);
  h[off] = v < 0 ? 0xff : 0x80;
}

/** One PAX record: the length prefix counts itself. */
function paxRecord(key: string, value: string | Uint8Array): Uint8Array {
  const kv = encoder.encode(` ${key}=`);
  const val = typeof value === 'string' ? encoder.encode(value) : value;
  const body = kv.length + val.length + 1;
  let digits = String(body).length;
  while (String(body + digits).length !== digits) digits = String(body + digits).length;
  const len = body + digits;
  const out = new Uint8Array(len);
  const prefix = encoder.encode(String(len));
  out.set(prefix, 0);
  out.set(kv, prefix.length);
  out.set(val, prefix.length + kv.length);
  out[len - 1] = 0x0a;
  return out;
}

/** Splits an ASCII name into ustar prefix (≤155) + name (≤100) at a '/', or returns undefined. */
function splitName(b: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  if (b.length <= 100) return [new Uint8Array(0), b];
  for (let i = Math.max(0, b.length - 101); i < Math.min(b.length - 1, 156); i++) {
    if (b[i] === 0x2f && i <= 155 && b.length - i - 1 <= 100 && i > 0) return [b.subarray(0, i), b.subarray(i + 1)];
  }
  return undefined;
}

function ustarHeader(f: {
  name: Uint8Array; prefix: Uint8Array; mode: number; uid: number; gid: number; size: number; mtime: number;
  typeflag: string; linkname: Uint8Array; uname: Uint8Array; gname: Uint8Array; devmajor: number; devminor: number;
}): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(f.name.subarray(0, 100), 0); // name (100) at 0
  putOctal(h, 100, 8, f.mode); // mode at 100
  putNumber(h, 108, 8, f.uid); // uid at 108
  putNumber(h, 116, 8, f.gid); // gid at 116
  putNumber(h, 124, 12, f.size); // size at 124
  putNumber(h, 136, 12, f.mtime); // mtime at 136
  h[156] = f.typeflag.charCodeAt(0); // typeflag at 156
  h.set(f.linkname.subarray(0, 100), 157); // linkname (100) at 157
  h.set(encoder.encode('ustar\x0000'), 257); // magic "ustar\0" + version "00" at 257
  h.set(f.uname.subarray(0, 32), 265); // uname (32) at 265
  h.set(f.gname.subarray(0, 32), 297); // gname (32) at 297
  putOctal(h, 329, 8, f.devmajor); // devmajor at 329
  putOctal(h, 337, 8, f.devminor); // devminor at 337
  h.set(f.prefix.subarray(0, 155), 345); // prefix (155) at 345
  h.fill(0x20, 148, 156); // checksum (148, 8 bytes) counts as spaces while summing
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  putOctal(h, 148, 7, sum); // 6 digits + NUL, then the space already there
  return h;
}

function bodySize(e: TarWriteEntry): number {
  if (e.type !== 'file') {
    if (e.body !== undefined || (e.size ?? 0) !== 0) throw new CoreError('invalid-argument', `tar entry '${e.name}' is a ${e.type}: it cannot have a body`);
    return 0;
  }
  if (e.deferSize) {
    if (typeof e.body !== 'function' || e.size !== undefined) throw new CoreError('invalid-argument', `tar entry '${e.name}': deferSize wants a stream body and no size`);
    return 0;
  }
  const known = e.body instanceof Uint8Array ? e.body.length : e.body instanceof Blob ? e.body.size : e.body ? e.size : 0;
  if (known === undefined) throw new CoreError('invalid-argument', `tar entry '${e.name}' has a stream body but no size`);
  if (e.size !== undefined && e.size !== known) throw new SizeMismatchError(e.size, known, `body of tar entry '${e.name}'`);
  if (!Number.isSafeInteger(known) || known < 0) throw new CoreError('invalid-argument', `tar entry '${e.name}' has an invalid size ${known}`);
  return known;
}

/** The header blocks (PAX header included when needed) for one entry, and its body size in bytes. */
export function encodeHeaders(e: TarWriteEntry): { headers: Uint8Array; size: number } {
  if (!e.name) throw new CoreError('invalid-argument', 'tar entry has an empty name');
  let name = e.name;
  if (e.type === 'directory' && !name.endsWith('/')) name += '/';
  const size = bodySize(e);
  const mode = e.mode ?? (e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const mtime = Math.floor(e.mtime ?? 0);
  const nameB = encoder.encode(name);
  const linkB = encoder.encode(e.linkname ?? '');
  const unameB = encoder.encode(e.uname ?? '');
  const gnameB = encoder.encode(e.gname ?? '');
  if ((e.type === 'symlink' || e.type === 'hardlink') && linkB.length === 0) {
    throw new CoreError('invalid-argument', `tar entry '${e.name}' is a ${e.type} without a link target`);
  }
  const devmajor = e.devmajor ?? 0;
  const devminor = e.devminor ?? 0;
  if (devmajor > MAX_OCTAL_7 || devminor > MAX_OCTAL_7 || devmajor < 0 || devminor < 0) {
    throw new CoreError('invalid-argument', `tar entry '${e.name}' has device numbers out of range`);
  }
  const records: Uint8Array[] = [];
  const split = isAscii(nameB) ? splitName(nameB) : undefined;
  if (!split) records.push(paxRecord('path', nameB));
  if (linkB.length > 100 || !isAscii(linkB)) records.push(paxRecord('linkpath', linkB));
  if (size > MAX_OCTAL_11) records.push(paxRecord('size', String(size)));
  if (uid > MAX_OCTAL_7 || uid < 0) records.push(paxRecord('uid', String(uid)));
  if (gid > MAX_OCTAL_7 || gid < 0) records.push(paxRecord('gid', String(gid)));
  if (mtime > MAX_OCTAL_11 || mtime < 0) records.push(paxRecord('mtime', String(mtime)));
  if (unameB.length > 31 || !isAscii(unameB)) records.push(paxRecord('uname', unameB));
  if (gnameB.length > 31 || !isAscii(gnameB)) records.push(paxRecord('gname', gnameB));
  for (const k of Object.keys(e.pax ?? {}).sort()) records.push(paxRecord(k, e.pax![k]));
  const ascii = (b: Uint8Array) => (isAscii(b) ? b : encoder.encode(new TextDecoder().decode(b).replace(/[^\x20-\x7e]/g, '_')));
  const [prefix, short] = split ?? [new Uint8Array(0), ascii(nameB)];
  const main = ustarHeader({
    name: short, prefix, mode, uid, gid, size, mtime: Math.max(0, Math.min(mtime, MAX_OCTAL_11)),
    typeflag: TYPEFLAG[e.type], linkname: ascii(linkB), uname: unameB.length > 31 ? new Uint8Array(0) : ascii(unameB),
    gname: gnameB.length > 31 ? new Uint8Array(0) : ascii(gnameB), devmajor, devminor,
  });
  if (records.length === 0) return { headers: main, size };
  const paxLen = records.reduce((n, r) => n + r.length, 0);
  const base = name.replace(/\/+$/, '').split('/').pop() ?? '';
  const paxName = encoder.encode(('PaxHeaders/' + base.replace(/[^\x20-\x7e]/g, '_')).slice(0, 100));
  const paxHeader = ustarHeader({
    name: paxName, prefix: new Uint8Array(0), mode: 0o644, uid: 0, gid: 0, size: paxLen,
    mtime: Math.max(0, Math.min(mtime, MAX_OCTAL_11)), typeflag: 'x', linkname: new Uint8Array(0),
    uname: new Uint8Array(0), gname: new Uint8Array(0), devmajor: 0, devminor: 0,
  });
  const out = new Uint8Array(BLOCK + padded(paxLen) + BLOCK);
  out.set(paxHeader, 0);
  let at = BLOCK;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  out.set(main, BLOCK + padded(paxLen));
  return { headers: out, size };
}

/** Exact byte length writeTar would produce, without reading bodies (needs `size` for stream bodies). */
export function tarSize(entries: Iterable<TarWriteEntry>): number {
  let n = 2 * BLOCK;
  for (const e of entries) {
    const { headers, size } = encodeHeaders(e);
    n += headers.length + padded(size);
  }
  return n;
}

/**
 * The tar writeTar would write, made in memory in one buffer of its exact size: for entries whose bodies
 * are all bytes (a layer assembled in memory), without a stream hop per header and body.
 */
export function tarBytes(entries: readonly TarWriteEntry[]): Uint8Array {
  return tarPieces(entries).pieces[0];
}

/**
 * The tar writeTar would write, in memory, as pieces to be read in order: bodies `view` accepts are the
 * entries' own bytes (views, not copied), everything else (headers, padding, the other bodies) is copied
 * into one buffer of exactly their size, which the other pieces are views of. Without `view`, one piece.
 * Bodies must all be bytes. `size`: the tar's length in bytes.
 */
export function tarPieces(entries: readonly TarWriteEntry[], view?: (body: Uint8Array) => boolean): { pieces: Uint8Array[]; size: number } {
  const parts: { headers: Uint8Array; body?: Uint8Array; size: number; viewed: boolean }[] = [];
  let copied = 2 * BLOCK;
  let total = 2 * BLOCK;
  for (const e of entries) {
    if (e.deferSize) throw new CoreError('invalid-argument', `tar entry '${e.name}' defers its size, which tarBytes cannot do`);
    if (e.body !== undefined && !(e.body instanceof Uint8Array)) throw new CoreError('invalid-argument', `tar entry '${e.name}': tarBytes needs bodies in memory`);
    const { headers, size } = encodeHeaders(e);
    const body = e.body as Uint8Array | undefined;
    if ((body?.byteLength ?? 0) !== size) throw new SizeMismatchError(size, body?.byteLength ?? 0, `body of tar entry '${e.name}'`);
    const viewed = body !== undefined && size > 0 && view !== undefined && view(body);
    parts.push({ headers, body, size, viewed });
    copied += headers.byteLength + padded(size) - (viewed ? size : 0);
    total += headers.byteLength + padded(size);
  }
  const out = new Uint8Array(copied);
  const pieces: Uint8Array[] = [];
  let at = 0;
  let from = 0; // start of the copied bytes not yet handed out as a piece
  for (const p of parts) {
    out.set(p.headers, at);
    at += p.headers.byteLength;
    if (p.viewed) {
      pieces.push(out.subarray(from, at), p.body!);
      from = at;
      at += padded(p.size) - p.size; // the padding (zeros) is copied
    } else {
      if (p.body) out.set(p.body, at);
      at += padded(p.size);
    }
  }
  pieces.push(from === 0 ? out : out.subarray(from));
  return { pieces, size: total };
}

async function* bodyChunks(e: TarWriteEntry, size: number | undefined): AsyncGenerator<Uint8Array, number> {
  if (e.body === undefined || size === 0 && !(typeof e.body === 'function')) return 0;
  if (e.body instanceof Uint8Array) {
    yield e.body;
    return e.body.length;
  }
  if (e.body instanceof Blob && e.body.size <= SMALL_BLOB) {
    // one read instead of a stream: most files in a layer are small, and a stream per file costs more than its bytes
    const bytes = new Uint8Array(await e.body.arrayBuffer());
    if (size !== undefined && bytes.byteLength !== size) throw new SizeMismatchError(size, bytes.byteLength, `body of tar entry '${e.name}'`);
    if (bytes.byteLength) yield bytes;
    return bytes.byteLength;
  }
  const stream = e.body instanceof Blob ? e.body.stream() : e.body();
  const reader = stream.getReader();
  const limit = size ?? MAX_OCTAL_11;
  let seen = 0;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      seen += r.value.length;
      if (seen > limit) {
        if (size === undefined) throw new CoreError('invalid-argument', `tar entry '${e.name}': a body of deferred size must stay under 8 GiB`);
        throw new SizeMismatchError(limit, seen, `body of tar entry '${e.name}' (at least)`);
      }
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
  if (size !== undefined && seen !== size) throw new SizeMismatchError(size, seen, `body of tar entry '${e.name}'`);
  return seen;
}

/** Options of writeTar. */
export interface WriteTarOptions {
  /** receives the real headers of `deferSize` entries and their byte offsets in the output (required for them) */
  onPatch?: (offset: number, header: Uint8Array) => void;
  /** the byte offset of each entry's body in the output, once the body has been written */
  onBody?: (offset: number) => void;
}

async function* tarChunks(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, opts: WriteTarOptions): AsyncGenerator<Uint8Array> {
  let offset = 0;
  for await (const e of entries) {
    if (e.deferSize && !opts.onPatch) throw new CoreError('invalid-argument', `tar entry '${e.name}' defers its size, which needs a sink that can seek (writeTar's onPatch)`);
    const { headers, size } = encodeHeaders(e);
    yield headers;
    const n = yield* bodyChunks(e, e.deferSize ? undefined : size);
    opts.onBody?.(offset + headers.length);
    if (e.deferSize) {
      const real = encodeHeaders({ ...e, deferSize: false, size: n });
      if (real.headers.length !== headers.length) throw new CoreError('invalid-argument', `tar entry '${e.name}': its real header differs in length from the one written`);
      opts.onPatch!(offset, real.headers);
    }
    if (padded(n) > n) yield new Uint8Array(padded(n) - n);
    offset += headers.length + padded(n);
  }
  yield new Uint8Array(2 * BLOCK);
}

/**
 * Writes entries in the given order, deterministically: ustar headers where the fields fit, PAX records
 * otherwise (long names/linknames, big sizes/uids, non-ASCII), uname/gname empty unless given, mtime
 * integral; default modes 0o644 (files, devices), 0o755 (directories), 0o777 (symlinks); ends with two zero
 * blocks (no 10 KiB record padding). Output is the uncompressed tar. A body
 * that yields more or fewer bytes than `size` errors the stream with a SizeMismatchError. Entries with
 * `deferSize` need `opts.onPatch` (see TarWriteEntry).
 */
export function writeTar(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, opts: WriteTarOptions = {}): ReadableStream<Uint8Array> {
  const gen = tarChunks(entries, opts);
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const r = await gen.next();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      async cancel() {
        await gen.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
