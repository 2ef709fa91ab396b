/**
 * Deterministic JSON for manifests and configs this product writes: object keys sorted (UTF-16
 * code unit order, as JavaScript sorts), no whitespace, `undefined` members dropped. The same
 * value always gives the same bytes, hence the same digest.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** canonicalJson as UTF-8 bytes. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/**
 * Where JSON.parse stopped ("at character 12", "it ends early", or just "a syntax error"), for error
 * messages that must not quote the text: the runtime's own message starts with an excerpt of it, which
 * may be any file a path names.
 */
export function whereJsonFailed(e: unknown): string {
  const msg = e instanceof Error ? e.message : '';
  const at = /at position (\d+)/.exec(msg)?.[1];
  if (at !== undefined) return `at character ${at}`;
  return /end of JSON input/.test(msg) ? 'it ends early' : 'a syntax error';
}
