/**
 * CEP-16 shards as the solver reads them. CEP-16 stores `md5`/`sha256` as bytes; shards written by conda's own
 * tooling hold hex strings there, which the solver refuses ("invalid type: string, expected a sequence").
 * normalizeShard turns such hashes into bytes and re-frames the shard (zstd raw blocks: no compressor needed).
 * The bytes handed in must already be verified against the shard's name.
 */
import { decode, encode } from '@msgpack/msgpack';
import { zstdDecodeAny } from '../compress/zstd-wasm';
import { CoreError } from '../errors';

const BLOCK = 128 * 1024;

/** A zstd frame holding `data` in raw (stored) blocks, with its content size: any zstd decoder reads it. */
export function rawZstdFrame(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(13 + blocks * 3 + data.length);
  // magic, then a descriptor: single segment, 8-byte content size, no checksum, no dictionary
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0xe0]);
  let size = BigInt(data.length);
  for (let i = 0; i < 8; i++) { out[5 + i] = Number(size & 0xffn); size >>= 8n; }
  let o = 13;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * BLOCK, (b + 1) * BLOCK);
    const header = (chunk.length << 3) | (b === blocks - 1 ? 1 : 0); // block type 0: raw
    out.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff], o);
    out.set(chunk, o + 3);
    o += 3 + chunk.length;
  }
  return out;
}

const HEX = /^(?:[0-9a-f]{2})+$/i;
const bytesOf = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));

/**
 * The shard with hex-string hashes as bytes, re-framed; the same bytes when it needs no change. `url` names
 * it in errors.
 */
export function normalizeShard(compressed: Uint8Array, url: string): Uint8Array {
  let shard: Record<string, unknown>;
  // a shard is one package name's records: 64 MiB decoded is far past any real one
  try { shard = decode(zstdDecodeAny(compressed, { maxBytes: 64 << 20, what: url })) as Record<string, unknown>; } catch (e) {
    throw new CoreError('repodata-invalid', `${url}: not a zstd-compressed msgpack shard`, { cause: e });
  }
  let changed = false;
  for (const key of ['packages', 'packages.conda']) {
    const records = shard?.[key];
    if (!records || typeof records !== 'object') continue;
    for (const r of Object.values(records as Record<string, Record<string, unknown>>)) {
      for (const h of ['md5', 'sha256']) {
        const v = r?.[h];
        if (typeof v === 'string' && HEX.test(v)) { r[h] = bytesOf(v); changed = true; }
      }
    }
  }
  return changed ? rawZstdFrame(encode(shard)) : compressed;
}
