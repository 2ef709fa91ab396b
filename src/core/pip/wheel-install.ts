/**
 * Installing a wheel into a conda prefix as pip does (PEP 427 / 376): every member checked against the
 * wheel's RECORD before anything is emitted, purelib/platlib into lib/pythonX.Y/site-packages, the `.data/`
 * schemes into bin/, include/ and the prefix, `#!python` scripts and console/GUI entry points with the
 * prefix's python in the shebang, and the dist-info completed with INSTALLER, REQUESTED, direct_url.json (a
 * wheel named by URL or path) and a RECORD of the installed paths and hashes. The result is tar entries for a layer; file bodies stream from the wheel.
 */
import { entryPointScript } from '../conda/install';
import { fixLongShebang } from '../conda/relocate';
import { readZipDirectory, zipMemberStream, type ZipMember } from '../conda/zip';
import { digestHex, digestStream, sha256 } from '../digest';
import { CoreError } from '../errors';
import type { TarWriteEntry } from '../tar';
import { formatRecord, parseRecord, recordHash, type RecordRow } from './record';
import { parseCoreMetadata, parseWheelName } from './wheel';

/** Options of installWheel. */
export interface WheelInstallOptions {
  /** absolute install prefix, default /opt/conda */
  readonly prefix?: string;
  /** X.Y of the environment's python */
  readonly pythonVersion: string;
  /** mtime of every entry (seconds) */
  readonly epoch?: number;
  /** a top-level requirement: pip writes REQUESTED for those */
  readonly requested?: boolean;
  /**
   * where the wheel came from when it was named by URL or path rather than found on an index (a local wheel):
   * pip records that in the dist-info's direct_url.json (PEP 610)
   */
  readonly directUrl?: { readonly url: string; readonly sha256: string };
}

/** A wheel installed into the prefix: its tar entries (names without a leading '/') and prefix-relative files. */
export interface InstalledWheel {
  readonly name: string;
  readonly version: string;
  readonly entries: TarWriteEntry[];
  readonly files: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function memberBytes(wheel: Blob, m: ZipMember): Promise<Uint8Array> {
  return new Uint8Array(await new Response(await zipMemberStream(wheel, m)).arrayBuffer());
}

/** A stream that opens the member when first read (tar bodies are functions giving a fresh stream). */
function lazyMember(wheel: Blob, m: ZipMember): () => ReadableStream<Uint8Array> {
  return () => {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        reader ??= (await zipMemberStream(wheel, m)).getReader();
        const x = await reader.read();
        if (x.done) c.close();
        else c.enqueue(x.value);
      },
      cancel(reason) { return reader?.cancel(reason); },
    });
  };
}

/** Refuses member names that could land outside their directory (PEP 427 installers must). */
function checkMemberName(filename: string, name: string): void {
  const parts = name.split('/');
  if (name.startsWith('/') || name.includes('\\') || name.includes('\0') || parts.some((p) => p === '..') || /^[A-Za-z]:/.test(name)) {
    throw new CoreError('unsafe-path', `${filename}: member "${name}" would be installed outside the prefix`);
  }
}

/** Installs one wheel; throws 'digest-mismatch' naming the member whose bytes do not match RECORD. */
export async function installWheel(wheel: Blob, filename: string, opts: WheelInstallOptions): Promise<InstalledWheel> {
  const prefix = (opts.prefix ?? '/opt/conda').replace(/\/+$/, '');
  const root = prefix.slice(1);
  const epoch = opts.epoch ?? 0;
  const wn = parseWheelName(filename);
  if (!wn) throw new CoreError('invalid-argument', `"${filename}" is not a wheel file name`);
  const members = (await readZipDirectory(wheel)).filter((m) => !m.name.endsWith('/'));
  for (const m of members) checkMemberName(filename, m.name);
  const distInfos = [...new Set(members.map((m) => m.name.split('/')[0]!).filter((d) => d.endsWith('.dist-info')))];
  if (distInfos.length !== 1) throw new CoreError('archive-invalid', `${filename}: ${distInfos.length} .dist-info directories (a wheel has one)`);
  const distInfo = distInfos[0]!;
  const dataDir = `${distInfo.slice(0, -'.dist-info'.length)}.data`;
  const byName = new Map(members.map((m) => [m.name, m]));
  const text = async (n: string) => { const m = byName.get(`${distInfo}/${n}`); return m ? dec.decode(await memberBytes(wheel, m)) : undefined; };
  const wheelFile = await text('WHEEL');
  const metadata = await text('METADATA');
  const recordText = await text('RECORD');
  if (wheelFile === undefined || metadata === undefined || recordText === undefined) {
    throw new CoreError('archive-invalid', `${filename}: ${distInfo} lacks WHEEL, METADATA or RECORD`);
  }
  if (!/^Wheel-Version:\s*1\./m.test(wheelFile)) throw new CoreError('archive-unsupported', `${filename}: only Wheel-Version 1.x is supported`);
  const meta = parseCoreMetadata(metadata, `${filename}: METADATA`);
  const record = new Map(parseRecord(recordText, filename).map((r) => [r.path, r]));

  // every member's bytes against RECORD, before any entry exists
  const hashes = new Map<string, { hash: string; size: number }>();
  for (const m of members) {
    const rel = m.name.slice(distInfo.length + 1);
    if (m.name.startsWith(`${distInfo}/`) && ['RECORD', 'RECORD.jws', 'RECORD.p7s', 'INSTALLER', 'REQUESTED'].includes(rel)) continue;
    const { digest, size } = await digestStream(await zipMemberStream(wheel, m));
    const hash = recordHash(digestHex(digest));
    const row = record.get(m.name);
    if (row?.hash && row.hash !== hash) {
      throw new CoreError('digest-mismatch', `${filename}: ${m.name} does not match its RECORD hash (${row.hash}, got ${hash})`);
    }
    if (row?.size && Number(row.size) !== size) throw new CoreError('size-mismatch', `${filename}: ${m.name} is ${size} bytes, RECORD says ${row.size}`);
    hashes.set(m.name, { hash, size });
  }

  const sp = `lib/python${opts.pythonVersion}/site-packages`;
  const entries: TarWriteEntry[] = [];
  const rows: RecordRow[] = [];
  const files: string[] = [];
  const recordPath = (rel: string) => (rel.startsWith(`${sp}/`) ? rel.slice(sp.length + 1) : `../../../${rel}`);
  const put = (rel: string, mode: number, body: TarWriteEntry['body'], size: number, hash: string) => {
    entries.push({ name: `${root}/${rel}`, type: 'file', mode, uid: 0, gid: 0, mtime: epoch, body, size });
    rows.push({ path: recordPath(rel), hash, size: String(size) });
    files.push(rel);
  };
  const putBytes = async (rel: string, mode: number, body: Uint8Array) => put(rel, mode, body, body.byteLength, recordHash(digestHex(await sha256(body))));

  for (const m of members) {
    const h = hashes.get(m.name);
    if (!h) continue; // RECORD and signatures: written anew below
    const mode = m.unixMode & 0o111 ? 0o755 : 0o644;
    if (!m.name.startsWith(`${dataDir}/`)) { put(`${sp}/${m.name}`, mode, lazyMember(wheel, m), h.size, h.hash); continue; }
    const [, scheme, ...rest] = m.name.split('/');
    const path = rest.join('/');
    if (!path) throw new CoreError('archive-invalid', `${filename}: ${m.name} is not inside a .data scheme directory`);
    if (scheme === 'purelib' || scheme === 'platlib') put(`${sp}/${path}`, mode, lazyMember(wheel, m), h.size, h.hash);
    else if (scheme === 'headers') put(`include/python${opts.pythonVersion}/${meta.name}/${path}`, mode, lazyMember(wheel, m), h.size, h.hash);
    else if (scheme === 'data') put(path, mode, lazyMember(wheel, m), h.size, h.hash);
    else if (scheme === 'scripts') await putBytes(`bin/${path}`, 0o755, fixScriptShebang(await memberBytes(wheel, m), prefix));
    else throw new CoreError('archive-invalid', `${filename}: ${m.name} is in an unknown .data scheme "${scheme}"`);
  }
  const entryPoints = await text('entry_points.txt');
  for (const spec of entryPoints ? consoleEntryPoints(entryPoints) : []) {
    const { name, body } = entryPointScript(prefix, spec);
    await putBytes(`bin/${name}`, 0o755, body);
  }
  await putBytes(`${sp}/${distInfo}/INSTALLER`, 0o644, enc.encode('docker-envs\n'));
  if (opts.requested) await putBytes(`${sp}/${distInfo}/REQUESTED`, 0o644, new Uint8Array());
  if (opts.directUrl) await putBytes(`${sp}/${distInfo}/direct_url.json`, 0o644, enc.encode(directUrlJson(opts.directUrl.url, opts.directUrl.sha256)));
  const out = enc.encode(formatRecord([...rows, { path: `${distInfo}/RECORD`, hash: '', size: '' }]));
  entries.push({ name: `${root}/${sp}/${distInfo}/RECORD`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: epoch, body: out, size: out.byteLength });
  files.push(`${sp}/${distInfo}/RECORD`);
  return { name: meta.name, version: meta.version, entries, files };
}

/**
 * direct_url.json (PEP 610) of an archive, as pip writes it for a wheel URL whose sha256 it knows: Python's
 * `json.dumps(..., sort_keys=True)` (keys sorted, `", "` and `": "` between items, ASCII only).
 */
export function directUrlJson(url: string, sha256Hex: string): string {
  const str = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `{"archive_info": {"hash": ${str(`sha256=${sha256Hex}`)}, "hashes": {"sha256": ${str(sha256Hex)}}}, "url": ${str(url)}}`;
}

/** `#!python` / `#!pythonw` (the wheel's placeholder) becomes the prefix's python, as pip rewrites it. */
function fixScriptShebang(data: Uint8Array, prefix: string): Uint8Array {
  const nl = data.indexOf(0x0a);
  const first = dec.decode(data.subarray(0, nl < 0 ? data.length : nl));
  const m = /^#!pythonw?(\s.*)?\r?$/.exec(first);
  if (!m) return data;
  const head = enc.encode(`#!${prefix}/bin/python${m[1]?.trimEnd() ?? ''}`);
  const out = new Uint8Array(head.byteLength + data.byteLength - (nl < 0 ? data.length : nl));
  out.set(head);
  if (nl >= 0) out.set(data.subarray(nl), head.byteLength);
  return fixLongShebang(out);
}

/** `name = module:function` lines of the [console_scripts] and [gui_scripts] sections, extras dropped. */
export function consoleEntryPoints(ini: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const raw of ini.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { section = s[1]!.trim(); continue; }
    if (section === 'console_scripts' || section === 'gui_scripts') out.push(line.replace(/\s*\[[^\]]*\]\s*$/, ''));
  }
  return out;
}
