/**
 * The solve preview, before any package is downloaded: the packages (name, version, build, channel, size),
 * the pip packages (name, version, wheel; resolving them fetches the conda packages first, as `solve` does),
 * the download size, the layer plan as bars (packages per layer and their sizes, after the base's layers),
 * warnings, and the solver's explanation when the specs cannot be satisfied. A multi-platform form shows
 * each platform's solve, in order.
 */
import { formatBytes } from '../../core/inspect/format';
import type { SolvePreview as Preview } from '../../queries/build-queries';

/** The preview's states as the query gives them (one preview per platform). */
export interface PreviewView { data?: Preview[]; error?: Error | null; isFetching: boolean }

/** The channel as a short name (its last path part for conda.anaconda.org channels). */
const channelName = (url: string) => url.replace(/\/$/, '').replace(/^https:\/\/conda\.anaconda\.org\//, '');

/** The preview card (nothing until a preview is asked for). */
export function SolvePreview({ preview, onCopyLock }: { preview: PreviewView; onCopyLock: (lock: string) => void }) {
  const { data, error, isFetching } = preview;
  if (!data && !error && !isFetching) return null;
  const several = (data?.length ?? 0) > 1;
  return (
    <section className="card" aria-labelledby="preview-title" data-testid="preview" data-state={isFetching ? 'solving' : error ? 'error' : 'done'}>
      <h2 id="preview-title">Preview</h2>
      {isFetching && <p role="status">Solving…</p>}
      {error && !isFetching && <pre className="error" data-testid="preview-error">{error.message}</pre>}
      {data && !isFetching && data.map((p) => (
        <div key={p.platform} data-testid="preview-platform" data-platform={p.platform}>
          {several && <h3>{p.platform}</h3>}
          <PlatformPreview data={p} onCopyLock={several ? undefined : onCopyLock} />
        </div>
      ))}
    </section>
  );
}

/** One platform's solve; `onCopyLock` is offered for a one-platform form only (a lock is one platform's). */
function PlatformPreview({ data, onCopyLock }: { data: Preview; onCopyLock?: (lock: string) => void }) {
  const biggest = Math.max(1, ...data.layers.map((l) => l.size));
  return (
    <>
      <p data-testid="preview-summary">
        {data.packages.length} packages for {data.subdir}, <strong>{formatBytes(data.downloadSize)}</strong> to download{data.pip.length > 0 && `, and ${data.pip.length} pip packages`}; {data.layers.length} new layers (+1 {data.pip.length > 0 && 'for pip, +1 '}for conda-meta) on the base's {data.baseLayers}.
        {data.virtualPackages.length > 0 && <span className="muted"> Base provides {data.virtualPackages.join(', ')}.</span>}
      </p>
      <StorageLine storage={data.storage} />
      {data.basePackages.length > 0 && <p className="muted">Already in the base: {data.basePackages.join(', ')}</p>}
      {data.warnings.length > 0 && <ul className="warnings" data-testid="preview-warnings">{data.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
      <table className="table" data-testid="preview-packages">
        <thead><tr><th>Package</th><th>Version</th><th>Build</th><th>Channel</th><th className="num">Size</th></tr></thead>
        <tbody>
          {data.packages.map((p) => (
            <tr key={p.fn}><td>{p.name}</td><td>{p.version}</td><td className="mono">{p.build}</td><td>{channelName(p.channel)}</td><td className="num">{p.size === undefined ? '?' : formatBytes(p.size)}</td></tr>
          ))}
        </tbody>
      </table>
      {data.pip.length > 0 && (
        <>
          <h3>pip packages</h3>
          <table className="table" data-testid="preview-pip">
            <thead><tr><th>Package</th><th>Version</th><th>Wheel</th></tr></thead>
            <tbody>
              {data.pip.map((w) => (
                <tr key={w.name}><td>{w.name}</td><td>{w.version}</td><td className="mono small">{decodeURIComponent(w.url.split('/').pop()!)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3>Layer plan</h3>
      <ol className="plain layer-plan" data-testid="layer-plan" aria-label="New layers, bottom first">
        <li className="muted">{data.baseLayers} base layers</li>
        {data.layers.map((l, i) => (
          <li key={i}>
            <span className="bar" style={{ width: `${Math.max(1, (l.size / biggest) * 100)}%` }} aria-hidden="true" />
            <span className="small">{formatBytes(l.size)}: {l.packages.join(', ')}</span>
          </li>
        ))}
        {data.pip.length > 0 && <li className="muted">pip: {data.pip.map((w) => `${w.name} ${w.version}`).join(', ')}</li>}
        <li className="muted">conda-meta, environment.yml, explicit lock</li>
      </ol>
      {onCopyLock && <button type="button" onClick={() => onCopyLock(data.lock)}>Use this solve as the lock</button>}
    </>
  );
}

/** The build's storage need against the browser's estimate; a warning (an alert) when it does not fit. */
function StorageLine({ storage }: { storage: Preview['storage'] }) {
  const { need, available, fits, warning } = storage;
  if (fits === false) return <p className="error" role="alert" data-testid="preview-storage" data-fits="false">{warning}</p>;
  return (
    <p className="muted small" data-testid="preview-storage" data-fits={fits === undefined ? 'unknown' : 'true'}>
      Needs about {formatBytes(need.total)} of browser storage ({formatBytes(need.uncachedPackages)} of packages not cached, ~{formatBytes(need.layers + need.archive)} for layers and the image)
      {available === undefined ? '; the browser gives no storage estimate.' : `; ${formatBytes(available)} available.`}
    </p>
  );
}
