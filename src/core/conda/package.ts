/**
 * Reading a conda package from a Blob: `.conda` (zip of metadata.json, info-*.tar.zst, pkg-*.tar.zst, any
 * member order, ZIP64) or `.tar.bz2` (our own streaming bzip2 decoder, in browsers too). The small info/
 * files are read into memory; the payload tar is decompressed once into a Blob (the `spill` hook: a temp
 * file in Node, a Blob elsewhere) and indexed by headers, so installing streams file bodies as Blob
 * slices. Decompressed bytes are capped by what paths.json declares (plus tar overhead), so a bomb cannot
 * expand without bound.
 */
import { decompressStream } from '../compress';
import { bunzip2Readable } from '../compress/bzip2';
import { digestStream } from '../digest';
import { CoreError, DigestMismatchError } from '../errors';
import { loadZstdWasm, zstdDecodeAllFrom } from '../compress/zstd-wasm';
import { capBytes } from '../stream';
import { entryBlob, indexTar, indexTarBytes, normalizeEntryPath, readTar, type TarEntry } from '../tar';
import { checkIndexJson, checkLinkJson } from './guards';
import { parseInfoJson, readPaths, type IndexJson, type LinkJson, type PathEntry } from './metadata';
import { readZipDirectory, zipMemberStream } from './zip';

/** A package opened for installing. */
export interface CondaPackage {
  fn: string;
  format: 'conda' | 'tar.bz2';
  index: IndexJson;
  paths: PathEntry[];
  link?: LinkJson;
  /** info/ files by name relative to info/ (small ones only: up to 16 MiB each) */
  info: Map<string, Uint8Array>;
  /** the payload tar (uncompressed; for .tar.bz2 it also holds info/): in memory when opened with `inMemory` */
  payload: Blob | Uint8Array;
  /** payload entries by normalised path (info/ excluded) */
  entries: Map<string, TarEntry>;
  warnings: string[];
}

/** Options of openCondaPackage. */
export interface OpenPackageOptions {
  /** stores a decompressed payload tar; default: collect it in a Blob */
  spill?: (s: ReadableStream<Uint8Array>) => Promise<Blob>;
  /** sha256 (hex) the package must have (from repodata): hashed while streaming, before anything is read */
  sha256?: string;
  /**
   * Decode the payload into memory (one buffer, no spill) when its bound from paths.json is at most
   * `maxPayload` bytes: what a layer built in memory wants. Larger payloads go to `spill` as usual.
   */
  inMemory?: {
    maxPayload: number;
    /** the buffer to decode into (at least `size` bytes; a reused one); default: a new one */
    buffer?: (size: number) => Uint8Array;
  };
  /**
   * Bound on the bytes any part of the package decodes into (info tar, payload tar), whatever paths.json
   * declares; default: the declared sizes (a 4 GiB fallback for packages that declare none).
   */
  maxBytes?: number;
}

const MAX_INFO_FILE = 16 * 1024 * 1024;
const TAR_OVERHEAD_PER_ENTRY = 3 * 512 + 511; // header, PAX/long-name headers, padding
const dec = new TextDecoder();

async function collect(s: ReadableStream<Uint8Array>): Promise<Blob> {
  const parts: Uint8Array[] = [];
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) parts.push(x.value);
  return new Blob(parts as BlobPart[]);
}

/** A pass-through that errors once more than `max()` bytes went by (the bound may tighten on the way). */
function capped(max: number | (() => number), what: string): TransformStream<Uint8Array, Uint8Array> {
  return capBytes(max, (limit) => tooLarge(limit, what));
}

const tooLarge = (max: number, what: string) =>
  new CoreError('archive-invalid', `${what} expands past ${max} bytes, more than its paths.json declares: refusing it (a corrupt or malicious package)`);

/** Reads the info/ files of a tar stream into a map (names relative to info/). */
async function readInfoTar(stream: ReadableStream<Uint8Array>, fn: string): Promise<Map<string, Uint8Array>> {
  const info = new Map<string, Uint8Array>();
  for await (const { entry, body } of readTar(stream)) {
    const { path, unsafe } = normalizeEntryPath(entry.name);
    if (unsafe && unsafe !== 'empty') throw new CoreError('unsafe-path', `${fn}: info member "${entry.name}" is ${unsafe}`);
    if (entry.type !== 'file' || !path.startsWith('info/') || entry.size > MAX_INFO_FILE) continue;
    // a reader, not a Response: in Node the first Response of a thread loads its fetch implementation (undici),
    // a cost every layer worker thread would pay for a few small files
    info.set(path.slice('info/'.length), await readAll(body));
  }
  return info;
}

/**
 * The payload bound of a .tar.bz2 from the info/ files at the start of its tar (conda writes them first):
 * reads until paths.json, or up to the first other member, and hands the bound to `found` at once (the
 * reader's own clean-up waits: cancelling one branch of a tee settles only when the other ends too).
 */
async function leadingBound(stream: ReadableStream<Uint8Array>, fn: string, signal: AbortSignal, found: (bound: number) => void): Promise<void> {
  const info = new Map<string, Uint8Array>();
  // called before leaving the loop: a `break` first awaits the reader's clean-up
  const report = () => found(payloadBound(readPaths(info, fn)));
  for await (const { entry, body } of readTar(stream, { signal })) {
    const { path } = normalizeEntryPath(entry.name);
    if (path === 'info' || path === '') continue;
    if (!path.startsWith('info/')) { report(); return; }
    const name = path.slice('info/'.length);
    if (entry.type !== 'file' || !BOUND_FILES.includes(name) || entry.size > MAX_INFO_FILE) continue;
    // read with a reader, not a Response: Node's Response waits for macrotasks, and the spill side of
    // the tee only ever yields microtasks, so it would run far ahead of this reader
    info.set(name, await readAll(body));
    if (name === 'paths.json') { report(); return; }
  }
  report();
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) { parts.push(x.value); n += x.value.byteLength; }
  const out = new Uint8Array(n);
  for (let i = 0, o = 0; i < parts.length; o += parts[i++].byteLength) out.set(parts[i], o);
  return out;
}
/** the info/ files readPaths needs */
const BOUND_FILES = ['paths.json', 'files', 'has_prefix', 'no_link'];

/** The byte bound for a payload tar: declared file sizes plus tar overhead per entry, plus slack. */
function payloadBound(paths: PathEntry[]): number {
  const declared = paths.reduce((a, p) => a + (p.size ?? 0), 0);
  const unknown = paths.some((p) => p.pathType === 'hardlink' && p.size === undefined);
  // old packages (info/files) declare no sizes: fall back to a generous fixed bound
  return unknown ? 4 * 1024 ** 3 : declared + (paths.length + 16) * TAR_OVERHEAD_PER_ENTRY + 64 * 1024;
}

/**
 * The likely size of a payload tar, to size its buffer: like payloadBound, but files with the same sha256
 * counted once (a tar stores a hard-linked file's bytes once; a package's libraries often come as such
 * pairs). Never more than the bound; a payload that turns out larger grows its buffer (up to the bound).
 */
function payloadHint(paths: PathEntry[], bound: number): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const p of paths) {
    if (p.sha256 && seen.has(p.sha256)) continue;
    if (p.sha256) seen.add(p.sha256);
    bytes += p.size ?? 0;
  }
  return Math.min(bound, bytes + (paths.length + 16) * TAR_OVERHEAD_PER_ENTRY + 64 * 1024);
}

/** Indexes the payload and checks every member path: '..' and absolute paths are refused. */
async function indexPayload(payload: Blob | Uint8Array, fn: string): Promise<Map<string, TarEntry>> {
  const { entries } = payload instanceof Uint8Array ? await indexTarBytes(payload) : await indexTar(payload);
  const out = new Map<string, TarEntry>();
  for (const e of entries) {
    const { path, unsafe } = normalizeEntryPath(e.name);
    if (unsafe === 'empty') continue;
    if (unsafe) throw new CoreError('unsafe-path', `${fn}: member "${e.name}" is ${unsafe === 'absolute' ? 'an absolute path' : 'outside the prefix (..)'}; refusing the package`);
    if (e.type === 'hardlink') {
      const target = normalizeEntryPath(e.linkname);
      if (target.unsafe) throw new CoreError('unsafe-path', `${fn}: hardlink "${e.name}" points outside the package`);
    }
    if (path === 'info' || path.startsWith('info/')) continue;
    out.set(path, e);
  }
  return out;
}

/** Opens a package (its file name tells the format). */
export async function openCondaPackage(blob: Blob, fn: string, opts: OpenPackageOptions = {}): Promise<CondaPackage> {
  if (blob.size === 0) throw new CoreError('archive-invalid', `${fn} is empty (0 bytes)`);
  if (opts.sha256 !== undefined) {
    const { digest } = await digestStream(blob.stream());
    const want = `sha256:${opts.sha256.toLowerCase()}`;
    if (digest !== want) throw new DigestMismatchError(want, digest, `package ${fn}`);
  }
  const spill = opts.spill ?? collect;
  const cap = opts.maxBytes ?? Infinity;
  let info: Map<string, Uint8Array>;
  let payload: Blob | Uint8Array;
  let format: CondaPackage['format'];
  if (fn.endsWith('.conda')) {
    format = 'conda';
    const members = await readZipDirectory(blob);
    const infoM = members.find((m) => /^info-.*\.tar\.zst$/.test(m.name));
    const pkgM = members.find((m) => /^pkg-.*\.tar\.zst$/.test(m.name));
    if (!infoM) throw new CoreError('archive-invalid', `${fn}: no info-*.tar.zst member`);
    info = await readInfoTar(decompressStream(await zipMemberStream(blob, infoM), 'zstd', { what: `${fn} info` }).pipeThrough(capped(Math.min(256 * 1024 * 1024, cap), `${fn} info`)), fn);
    const paths = readPaths(info, fn);
    const bound = Math.min(payloadBound(paths), cap);
    const inMemory = pkgM && opts.inMemory && bound <= opts.inMemory.maxPayload && await loadZstdWasm().then(() => true, () => false);
    payload = inMemory
      ? await zstdDecodeAllFrom(await zipMemberStream(blob, pkgM), { maxBytes: bound, sizeHint: payloadHint(paths, bound), ownsChunks: true, what: fn, tooLarge: () => tooLarge(bound, fn), ...(opts.inMemory!.buffer ? { alloc: opts.inMemory!.buffer } : {}) })
      : pkgM
      ? await spill(decompressStream(await zipMemberStream(blob, pkgM), 'zstd', { what: `${fn} payload` }).pipeThrough(capped(bound, fn)))
      : new Blob([new Uint8Array(1024)]);
  } else if (fn.endsWith('.tar.bz2')) {
    format = 'tar.bz2';
    const head = new Uint8Array(await blob.slice(0, 3).arrayBuffer());
    if (dec.decode(head) !== 'BZh') throw new CoreError('archive-invalid', `${fn} is not bzip2 data`);
    // one pass: the decoded tar goes to `spill` and, through a tee, to a reader of the leading info/
    // files, whose paths.json tightens the cap from a generous first bound (100× the package, ≥ 64 MiB)
    // to the declared sizes as soon as it is read
    const [toSpill, toInfo] = bunzip2Readable(blob.stream(), { what: fn, maxBytes: Math.min(cap, Math.max(64 * 1024 * 1024, blob.size * 100)) }).tee();
    let bound = Infinity;
    const stop = new AbortController();
    // (not awaited: its clean-up settles only once the spill side ends; a failure leaves the first bound)
    void leadingBound(toInfo, fn, stop.signal, (b) => { bound = Math.min(b, cap); }).catch(() => {});
    try {
      payload = await spill(toSpill.pipeThrough(capped(() => bound, fn)));
    } finally {
      stop.abort(); // the early reader is done unless the spill failed first: then it stops here
    }
    info = await readInfoTar(payload.stream(), fn);
    // info/ not first (or unreadable early): the same bound, checked now
    const max = Math.min(payloadBound(readPaths(info, fn)), cap);
    if (payload.size > max) throw tooLarge(max, fn);
    if (opts.inMemory && payload.size <= opts.inMemory.maxPayload) payload = new Uint8Array(await payload.arrayBuffer());
  } else {
    throw new CoreError('archive-unsupported', `${fn}: a conda package ends in .conda or .tar.bz2`);
  }
  const index = checkIndexJson(parseInfoJson<unknown>(info.get('index.json'), 'index.json', fn), fn) as IndexJson;
  const paths = readPaths(info, fn);
  const link = info.has('link.json') ? checkLinkJson(parseInfoJson<unknown>(info.get('link.json'), 'link.json', fn), fn) as LinkJson : undefined;
  const entries = await indexPayload(payload, fn);
  const warnings: string[] = [];
  for (const p of paths) {
    if (p.pathType !== 'directory' && !entries.has(p.path)) warnings.push(`${fn}: ${p.path} is listed in its metadata but missing from the archive`);
  }
  return { fn, format, index, paths, ...(link ? { link } : {}), info, payload, entries, warnings };
}

/** The bytes of one payload entry (a Blob slice, no copy, when the payload is a Blob). */
export function payloadFile(pkg: CondaPackage, entry: TarEntry): Blob {
  if (pkg.payload instanceof Uint8Array) return new Blob([pkg.payload.subarray(entry.dataOffset, entry.dataOffset + entry.size) as Uint8Array<ArrayBuffer>]);
  return entryBlob(pkg.payload, entry);
}

/**
 * The paths a package installs, read from its info/ files alone (paths.json, or the old info/files): for a
 * `.conda` only the info member is decoded; a `.tar.bz2` is decoded up to the first member outside info/
 * (conda writes info/ first), or to its end when info/ comes later.
 */
export async function readPackagePaths(blob: Blob, fn: string): Promise<PathEntry[]> {
  if (fn.endsWith('.conda')) {
    const infoM = (await readZipDirectory(blob)).find((m) => /^info-.*\.tar\.zst$/.test(m.name));
    if (!infoM) throw new CoreError('archive-invalid', `${fn}: no info-*.tar.zst member`);
    return readPaths(await readInfoTar(decompressStream(await zipMemberStream(blob, infoM), 'zstd', { what: `${fn} info` }).pipeThrough(capped(256 * 1024 * 1024, `${fn} info`)), fn), fn);
  }
  if (!fn.endsWith('.tar.bz2')) throw new CoreError('archive-unsupported', `${fn}: a conda package ends in .conda or .tar.bz2`);
  const info = new Map<string, Uint8Array>();
  const stop = new AbortController();
  try {
    for await (const { entry, body } of readTar(bunzip2Readable(blob.stream(), { what: fn, maxBytes: Math.max(64 * 1024 * 1024, blob.size * 100) }), { signal: stop.signal })) {
      const { path } = normalizeEntryPath(entry.name);
      if (path === 'info' || path === '') continue;
      if (!path.startsWith('info/')) {
        if (info.has('paths.json') || info.has('files')) break;
        continue;
      }
      const name = path.slice('info/'.length);
      if (entry.type === 'file' && BOUND_FILES.includes(name) && entry.size <= MAX_INFO_FILE) info.set(name, await readAll(body));
    }
  } finally {
    stop.abort();
  }
  return readPaths(info, fn);
}
