/**
 * The cache panel: whether caching is on (OPFS) and persistent, what the cache holds (entries with their
 * sizes, least recently used last), the total against the user's cap and the browser's estimate, the cap
 * setting and Clear.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatBytes } from '../../core/inspect/format';
import { cacheSummaryQuery, persistQuery, useClearCache, useSetCacheCap } from '../../queries/cache-queries';

const GiB = 1024 ** 3;
/** Rows listed at most (the totals count every entry). */
const MAX_ROWS = 300;

const kindLabel = { package: 'package', 'base-blob': 'base image blob', layer: 'built layer', repodata: 'repodata' } as const;

/** The cache panel. */
export function CachePanel() {
  const summary = useQuery(cacheSummaryQuery());
  const persisted = useQuery(persistQuery());
  const setCap = useSetCacheCap();
  const clear = useClearCache();
  const [cap, setCapText] = useState('');
  const s = summary.data;
  const capValid = cap.trim() !== '' && Number.isFinite(Number(cap)) && Number(cap) >= 0;
  if (!s) return <section className="card" aria-labelledby="cache-title"><h2 id="cache-title">Cache</h2><p className="muted">{summary.error ? summary.error.message : 'Reading the cache…'}</p></section>;
  const rows = [...s.entries].reverse().slice(0, MAX_ROWS);
  return (
    <section className="card" aria-labelledby="cache-title" data-testid="cache-panel">
      <h2 id="cache-title">Cache</h2>
      {!s.available ? (
        <p className="warnings" data-testid="cache-off">This browser gives the app no private file system (OPFS), so caching is off: every build downloads its packages and builds every layer.</p>
      ) : (
        <p data-testid="cache-total">
          {s.entries.length} entries, <strong>{formatBytes(s.total)}</strong> of a {formatBytes(s.cap)} cap
          {s.usage !== undefined && s.quota !== undefined ? ` (the browser counts ${formatBytes(s.usage)} used of ${formatBytes(s.quota)} for this site)` : ''}.{' '}
          <span className="muted">{(persisted.data ?? s.persisted) ? 'Storage is persistent.' : 'Storage is not persistent: the browser may clear it under pressure.'}</span>
        </p>
      )}
      <div className="actions">
        <label>Cap (GiB) <input type="number" min="0" step="0.5" value={cap} placeholder={String(s.cap / GiB)} onChange={(e) => setCapText(e.target.value)} data-testid="cache-cap" /></label>
        <button type="button" disabled={!capValid || setCap.isPending} onClick={() => setCap.mutate(Math.round(Number(cap) * GiB))}>Set cap</button>
        <button type="button" data-testid="cache-clear" disabled={clear.isPending || !s.available} onClick={() => clear.mutate()}>{clear.isPending ? 'Clearing (waiting for running builds)…' : 'Clear'}</button>
        <button type="button" onClick={() => void summary.refetch()}>Refresh</button>
      </div>
      {(setCap.error ?? clear.error) && <p className="error">{(setCap.error ?? clear.error)!.message}</p>}
      {rows.length > 0 && (
        <table className="table small" data-testid="cache-entries">
          <thead><tr><th>Kind</th><th>Entry</th><th className="num">Size</th><th>Last used</th></tr></thead>
          <tbody>
            {rows.map((e) => (
              <tr key={`${e.kind}:${e.key}`}>
                <td>{kindLabel[e.kind]}</td>
                <td className="mono">{e.kind === 'repodata' ? e.key : (e.digest ?? e.key).slice(0, 19)}</td>
                <td className="num">{formatBytes(e.size)}</td>
                <td>{new Date(e.lastUse).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
