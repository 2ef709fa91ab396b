/**
 * Repodata as channels publish it: sharded CEP-16 (`repodata_shards.msgpack.zst`, then only the shards a set
 * of names needs, each verified against its name), `repodata.json.zst`, `.json.bz2` and `.json`, tried in that
 * order (as the solver does), each after a 404. Records become plain PackageRecords; `.conda` wins over the
 * `.tar.bz2` of the same build; `info.base_url` (CEP-15) is honoured.
 */
import { decode } from '@msgpack/msgpack';
import { bunzip2 } from '../compress/bzip2';
import { digestHex, sha256 } from '../digest';
import { loadZstdWasm, zstdDecodeAny } from '../compress/zstd-wasm';
import { CoreError } from '../errors';
import { subdirUrl, type Channel } from './channel';
import { checkRepodata } from './guards';
import type { PackageRecord } from './types';

/** CEP-15 `info.base_url` resolved against the subdir's URL; an unusable one is a repodata error. */
function baseUrlOf(base: string, subdir: string): string {
  try { return new URL(base.replace(/\/*$/, '/'), subdir).href; } catch (e) {
    throw new CoreError('repodata-invalid', `${subdir}: info.base_url ${JSON.stringify(base.slice(0, 80))} is not a URL`, { cause: e });
  }
}

/** Which file a repodata load used. */
export type RepodataFormat = 'sharded' | 'json.zst' | 'json.bz2' | 'json';

/** Options of loadRepodata. */
export interface LoadRepodataOptions {
  fetch?: typeof fetch;
  /** for sharded channels: the package names needed (their dependencies are followed); without, shards are skipped */
  names?: string[];
  /** bound in bytes on a decoded repodata file or shard index (default 512 MiB) */
  maxBytes?: number;
}

/** The records of one subdir, and where they came from. */
export interface Repodata {
  format: RepodataFormat;
  records: PackageRecord[];
}

type RawRecord = Record<string, unknown>;
const hex = (v: unknown) => (v instanceof Uint8Array ? [...v].map((b) => b.toString(16).padStart(2, '0')).join('') : typeof v === 'string' ? v : undefined);

/** Maps a repodata document's `packages` and `packages.conda` to records. */
export function parseRepodata(doc: unknown, channelUrl: string, subdir: string): PackageRecord[] {
  const d = checkRepodata(doc, subdirUrl(channelUrl, subdir));
  const base = d.baseUrl ? baseUrlOf(d.baseUrl, subdirUrl(channelUrl, subdir)) : subdirUrl(channelUrl, subdir);
  const conda = d.conda;
  const out: PackageRecord[] = [];
  const add = (fn: string, r: RawRecord) => {
    if (typeof r.name !== 'string' || typeof r.version !== 'string' || typeof r.build !== 'string') {
      throw new CoreError('repodata-invalid', `${base}: record ${fn} lacks name, version or build`);
    }
    if (r.build_number !== undefined && r.build_number !== null && typeof r.build_number !== 'number') {
      throw new CoreError('repodata-invalid', `${base}: record ${fn} has a build_number that is not a number`);
    }
    const sha = hex(r.sha256), md5 = hex(r.md5);
    out.push({
      name: r.name, version: r.version, build: r.build, buildNumber: Number(r.build_number ?? 0),
      subdir: typeof r.subdir === 'string' ? r.subdir : subdir, url: `${base}${fn}`, channel: channelUrl.replace(/\/*$/, '/'), fn,
      depends: Array.isArray(r.depends) ? r.depends.filter((x) => typeof x === 'string') : [],
      ...(sha ? { sha256: sha } : {}), ...(md5 ? { md5 } : {}), ...(typeof r.size === 'number' ? { size: r.size } : {}),
    });
  };
  for (const [fn, r] of Object.entries(d.packages)) if (!conda[fn.replace(/\.tar\.bz2$/, '.conda')]) add(fn, r);
  for (const [fn, r] of Object.entries(conda)) add(fn, r);
  return out.sort((a, b) => (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0));
}

async function get(f: typeof fetch, url: string): Promise<Uint8Array | undefined> {
  let res: Response;
  try { res = await f(url); } catch (e) { throw new CoreError('network-error', `${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }); }
  if (res.status === 404 || res.status === 403) { await res.body?.cancel(); return undefined; }
  if (!res.ok) throw new CoreError('network-error', `${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** zstd-compressed metadata, decoded up to MAX_REPODATA_JSON (a bomb stops there); wasm where loaded. */
export function unzstdRepodata(bytes: Uint8Array, url: string, max = MAX_REPODATA_JSON): Uint8Array {
  try {
    return zstdDecodeAny(bytes, { maxBytes: max, what: url, tooLarge: () => new CoreError('repodata-invalid', `${url} expands past ${max} bytes: refusing it`) });
  } catch (e) {
    if (e instanceof CoreError && e.code === 'repodata-invalid') throw e;
    throw new CoreError('compression-corrupt', `${url}: not zstd`, { cause: e });
  }
}

function parse<T>(what: () => T, url: string): T {
  try { return what(); } catch (e) { throw e instanceof CoreError ? e : new CoreError('repodata-invalid', `${url}: cannot be parsed`, { cause: e }); }
}

/** The largest decompressed repodata.json read (a JavaScript string cannot hold much more anyway). */
export const MAX_REPODATA_JSON = 512 * 1024 * 1024;

const nameOf = (dep: string) => dep.trim().split(/[\s=<>!~[]/)[0];

/** Loads the shards `names` need (following dependencies) from a CEP-16 index; undefined when there is none. */
async function loadSharded(f: typeof fetch, channel: Channel, subdir: string, names: string[], max: number): Promise<PackageRecord[] | undefined> {
  const indexUrl = subdirUrl(channel, subdir, 'repodata_shards.msgpack.zst');
  const raw = await get(f, indexUrl);
  if (!raw) return undefined;
  const index = parse(() => decode(unzstdRepodata(raw, indexUrl, max)) as { info?: { base_url?: string; shards_base_url?: string }; shards?: Record<string, Uint8Array> }, indexUrl);
  if (!index || typeof index !== 'object' || !index.shards || typeof index.shards !== 'object') throw new CoreError('repodata-invalid', `${indexUrl}: no shards map`);
  const shardsBase = index.info?.shards_base_url;
  if (shardsBase !== undefined && shardsBase !== null && typeof shardsBase !== 'string') throw new CoreError('repodata-invalid', `${indexUrl}: info.shards_base_url is not a string`);
  const shardBase = baseUrlOf(shardsBase || './', indexUrl);
  const records: PackageRecord[] = [];
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const digest = hex(index.shards[name]);
    if (!digest) continue;
    const url = `${shardBase}${digest}.msgpack.zst`;
    const bytes = await get(f, url);
    if (!bytes) throw new CoreError('repodata-invalid', `${url}: the shard of ${name} is missing`);
    if (digestHex(await sha256(bytes)) !== digest) throw new CoreError('digest-mismatch', `${url}: the shard of ${name} does not match its sha256`);
    const shard = parse(() => decode(unzstdRepodata(bytes, url, max)), url) as Record<string, unknown>;
    const got = parseRepodata({ ...shard, info: { base_url: index.info?.base_url || undefined } }, channel.url, subdir);
    records.push(...got);
    for (const r of got) for (const d of r.depends) queue.push(nameOf(d));
  }
  return records.sort((a, b) => (a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : 0));
}

/**
 * The package names of a subdir, sorted, for autocomplete: a sharded channel's index keys (no shard is read),
 * else the names in its repodata.
 */
export async function packageNames(channel: Channel, subdir: string, opts: Pick<LoadRepodataOptions, 'fetch' | 'maxBytes'> = {}): Promise<string[]> {
  const f = opts.fetch ?? fetch;
  const max = Math.min(opts.maxBytes ?? MAX_REPODATA_JSON, MAX_REPODATA_JSON);
  await loadZstdWasm().catch(() => {});
  const indexUrl = subdirUrl(channel, subdir, 'repodata_shards.msgpack.zst');
  const raw = await get(f, indexUrl);
  if (raw) {
    const index = parse(() => decode(unzstdRepodata(raw, indexUrl, max)) as { shards?: Record<string, unknown> }, indexUrl);
    if (index?.shards && typeof index.shards === 'object') return Object.keys(index.shards).sort();
  }
  const { records } = await loadRepodata(channel, subdir, { fetch: f, ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}) });
  return [...new Set(records.map((r) => r.name))].sort();
}

/** Loads a subdir's repodata in the solver's order of preference; a subdir with none at all is an error. */
export async function loadRepodata(channel: Channel, subdir: string, opts: LoadRepodataOptions = {}): Promise<Repodata> {
  const f = opts.fetch ?? fetch;
  const max = Math.min(opts.maxBytes ?? MAX_REPODATA_JSON, MAX_REPODATA_JSON);
  await loadZstdWasm().catch(() => {}); // fzstd decodes where it cannot load
  if (opts.names) {
    const records = await loadSharded(f, channel, subdir, opts.names, max);
    if (records) return { format: 'sharded', records };
  }
  const json = (bytes: Uint8Array, url: string) => {
    if (bytes.byteLength > max) throw new CoreError('repodata-invalid', `${url} is ${bytes.byteLength} bytes, past the ${max}-byte bound: refusing it`);
    return parseRepodata(parse(() => JSON.parse(new TextDecoder().decode(bytes)) as unknown, url), channel.url, subdir);
  };
  const zstUrl = subdirUrl(channel, subdir, 'repodata.json.zst');
  const zst = await get(f, zstUrl);
  if (zst) return { format: 'json.zst', records: json(unzstdRepodata(zst, zstUrl, max), zstUrl) };
  const bzUrl = subdirUrl(channel, subdir, 'repodata.json.bz2');
  const bz = await get(f, bzUrl);
  if (bz) return { format: 'json.bz2', records: json(bunzip2(bz, max, bzUrl), bzUrl) };
  const url = subdirUrl(channel, subdir, 'repodata.json');
  const plain = await get(f, url);
  if (!plain) throw new CoreError('repodata-invalid', `${subdirUrl(channel, subdir)} has no repodata (is it a conda channel?)`);
  return { format: 'json', records: json(plain, url) };
}
