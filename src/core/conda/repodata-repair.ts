/**
 * Repodata as conda and mamba read it. Real channels hold records the solver refuses whole ("failed to extract
 * repodata records"): `"depends": null`, `"constrains": null` and other nulls, which conda and mamba take as
 * empty or absent. repairingFetch hands the solver repodata (flat JSON in every compression, and CEP-16 shards)
 * with nulls dropped and records it still cannot read left out, each named in a warning (channel, subdir, file
 * and record). It costs a parse and a re-encoding of every document, so the solver adapter uses it only after
 * the solver refused the repodata as fetched.
 */
import { decode, encode } from '@msgpack/msgpack';
import { bunzip2 } from '../compress/bzip2';
import { zstdDecodeAny } from '../compress/zstd-wasm';
import { CoreError } from '../errors';
import { MAX_REPODATA_JSON, unzstdRepodata } from './repodata';
import { rawZstdFrame } from './repodata-shard';

type RawRecord = Record<string, unknown>;

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Why a record (nulls already dropped) cannot be read, or undefined when it can. */
function unreadable(r: RawRecord): string | undefined {
  for (const k of ['name', 'version', 'build']) if (typeof r[k] !== 'string') return `its ${k} is not a string`;
  if (r.build_number !== undefined && !(Number.isInteger(r.build_number) && (r.build_number as number) >= 0)) return 'its build_number is not a whole number';
  for (const k of ['depends', 'constrains']) if (!isStrings(r[k])) return `its ${k} is not a list of strings`;
  if (r.subdir !== undefined && typeof r.subdir !== 'string') return 'its subdir is not a string';
  if (r.track_features !== undefined && typeof r.track_features !== 'string' && !isStrings(r.track_features)) return 'its track_features is neither a string nor a list of strings';
  if (r.extra_depends !== undefined && (typeof r.extra_depends !== 'object' || !Object.values(r.extra_depends as object).every(isStrings))) {
    return 'its extra_depends is not a map of lists of strings';
  }
  return undefined;
}

/**
 * Repairs the `packages` and `packages.conda` maps of a repodata document or shard in place: null fields are
 * dropped (`depends` and `constrains` become empty lists), records that still cannot be read are removed and
 * reported through `warn`, naming `where` (channel, subdir and file). Returns whether anything changed.
 */
export function repairRepodataRecords(doc: Record<string, unknown>, where: string, warn: (message: string) => void): boolean {
  let changed = false;
  for (const key of ['packages', 'packages.conda']) {
    const records = doc[key];
    if (records === null) { delete doc[key]; changed = true; continue; }
    if (!records || typeof records !== 'object') continue;
    const map = records as Record<string, unknown>;
    for (const [fn, value] of Object.entries(map)) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        warn(`${where}: record ${fn} is not an object; skipped`);
        delete map[fn];
        changed = true;
        continue;
      }
      const r = value as RawRecord;
      for (const [k, v] of Object.entries(r)) if (v === null) { delete r[k]; changed = true; }
      for (const k of ['depends', 'constrains']) if (r[k] === undefined) r[k] = [];
      const why = unreadable(r);
      if (why) {
        warn(`${where}: record ${fn} cannot be read (${why}); skipped`);
        delete map[fn];
        changed = true;
      }
    }
  }
  return changed;
}

const FLAT = /\/repodata\.json(\.zst|\.bz2)?$/;
const SHARD = /\/[0-9a-f]{64}\.msgpack\.zst$/;

/** `<channel> <subdir>/<file>` of a metadata URL, as warnings name it. */
function describe(url: string): string {
  const parts = url.split('/');
  return `channel ${parts.slice(0, -2).join('/')}/, subdir ${parts.at(-2)}, file ${parts.at(-1)}`;
}

function withUrl(res: Response, url: string): Response {
  Object.defineProperty(res, 'url', { value: url });
  return res;
}

/**
 * Wraps `inner` so every repodata document and shard it answers is repaired (repairRepodataRecords) on its way
 * to the solver; warnings go to `warn`. A `.json.bz2` that needed repair (no bzip2 encoder here) is answered
 * 404 and its repaired JSON served under `repodata.json`, which the solver asks for next.
 */
export function repairingFetch(inner: typeof fetch, warn: (message: string) => void): typeof fetch {
  const repairedFromBz2 = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  return (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = (input instanceof Request ? input.url : String(input)).split('#')[0];
    const path = new URL(url).pathname;
    const fromBz2 = repairedFromBz2.get(url);
    if (fromBz2) return withUrl(new Response(fromBz2.slice(), { status: 200, headers: { 'content-type': 'application/json' } }), url);
    if (!FLAT.test(path) && !SHARD.test(path)) return inner(input, init);
    const res = await inner(input, init);
    if (res.status !== 200) return res;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const type = res.headers.get('content-type');
    const answer = (body: Uint8Array | null, status = 200) => withUrl(new Response(body as BodyInit | null, { status, headers: type ? { 'content-type': type } : {} }), url);
    try {
      if (SHARD.test(path)) {
        const shard = decode(zstdDecodeAny(bytes, { maxBytes: 64 << 20, what: url })) as Record<string, unknown>;
        return answer(repairRepodataRecords(shard, describe(url), warn) ? rawZstdFrame(encode(shard)) : bytes);
      }
      const compression = FLAT.exec(path)![1];
      const json = compression === '.zst' ? unzstdRepodata(bytes, url) : compression === '.bz2' ? bunzip2(bytes, MAX_REPODATA_JSON, url) : bytes;
      const doc = JSON.parse(new TextDecoder().decode(json)) as Record<string, unknown>;
      if (!doc || typeof doc !== 'object') return answer(bytes);
      if (!repairRepodataRecords(doc, describe(url), warn)) return answer(bytes);
      const repaired = enc.encode(JSON.stringify(doc));
      if (compression === '.bz2') {
        repairedFromBz2.set(url.replace(/\.bz2$/, ''), repaired);
        return answer(null, 404);
      }
      return answer(compression === '.zst' ? rawZstdFrame(repaired) : repaired);
    } catch (e) {
      throw new CoreError('repodata-invalid', `${describe(url)}: cannot be read (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
  }) as typeof fetch;
}
