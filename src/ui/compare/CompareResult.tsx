/**
 * A comparison as the core's compareImages gives it: both images (tags, manifest and config digests,
 * layers), the layers they share and those only one has, the config differences, and the conda packages
 * added, removed and changed (going from A to B), per prefix.
 */
import { formatBytes } from '../../core/inspect/format';
import type { ImageComparison } from '../../queries/compare-queries';

type Layer = ImageComparison['layers']['shared'][number];
type Pkg = ImageComparison['conda']['added'][number];
/** A row of the package table: what changed, and the package on each side that has it. */
interface PackageRow { change: 'added' | 'removed' | 'changed'; prefix: string; name: string; a?: Pkg; b?: Pkg }

/** A table of layers (diff_id, uncompressed size, the history line that made it). */
function Layers({ layers, testId, caption }: { layers: Layer[]; testId: string; caption: string }) {
  if (layers.length === 0) return null;
  return (
    <table className="table small" data-testid={testId}>
      <caption>{caption}</caption>
      <thead><tr><th>diff_id</th><th className="num">Size</th><th>Created by</th></tr></thead>
      <tbody>
        {layers.map((l) => <tr key={l.diffId}><td className="mono">{l.diffId.slice(7, 19)}</td><td className="num">{formatBytes(l.size)}</td><td className="mono">{l.createdBy ?? ''}</td></tr>)}
      </tbody>
    </table>
  );
}

/** The comparison's card. */
export function CompareResult({ c }: { c: ImageComparison }) {
  const same = c.a.configDigest === c.b.configDigest;
  const packages: PackageRow[] = [
    ...c.conda.added.map((b) => ({ change: 'added' as const, prefix: b.prefix, name: b.name, b })),
    ...c.conda.removed.map((a) => ({ change: 'removed' as const, prefix: a.prefix, name: a.name, a })),
    ...c.conda.changed.map(({ a, b }) => ({ change: 'changed' as const, prefix: a.prefix, name: a.name, a, b })),
  ].sort((x, y) => (x.prefix + x.name < y.prefix + y.name ? -1 : 1));
  const sign = { added: '+', removed: '−', changed: '~' };
  return (
    <section className="card" aria-labelledby="compare-result-title" data-testid="compare-result">
      <h2 id="compare-result-title">A → B</h2>
      <table className="table small" data-testid="compare-images">
        <thead><tr><th>Image</th><th>Tag</th><th>Manifest</th><th>Config (image ID)</th><th className="num">Layers</th></tr></thead>
        <tbody>
          {(['a', 'b'] as const).map((k) => (
            <tr key={k}><th scope="row">{k.toUpperCase()}</th><td>{c[k].tags[0] ?? '(untagged)'}</td><td className="mono">{c[k].manifestDigest ?? ''}</td><td className="mono">{c[k].configDigest}</td><td className="num">{c[k].layers}</td></tr>
          ))}
        </tbody>
      </table>
      {same && <p data-testid="compare-same">The same image (same config, same layers).</p>}
      <h3>Layers</h3>
      <p data-testid="compare-layers-summary">
        {c.layers.shared.length} shared ({formatBytes(c.layers.sharedBytes)}), {c.layers.onlyA.length} only in A, {c.layers.onlyB.length} only in B.
      </p>
      <Layers layers={c.layers.shared} testId="compare-layers-shared" caption="Shared" />
      <Layers layers={c.layers.onlyA} testId="compare-layers-a" caption="Only in A" />
      <Layers layers={c.layers.onlyB} testId="compare-layers-b" caption="Only in B" />
      <h3>Config</h3>
      {c.config.length === 0 ? <p className="muted">No difference.</p> : (
        <table className="table small" data-testid="compare-config">
          <thead><tr><th>Setting</th><th>A</th><th>B</th></tr></thead>
          <tbody>
            {c.config.map((d) => <tr key={d.key} data-key={d.key}><td className="mono">{d.key}</td><td className="mono">{d.a ?? '(none)'}</td><td className="mono">{d.b ?? '(none)'}</td></tr>)}
          </tbody>
        </table>
      )}
      <h3>Conda packages</h3>
      {packages.length === 0 ? <p className="muted">No difference.</p> : (
        <table className="table small" data-testid="compare-packages">
          <thead><tr><th><span className="visually-hidden">Change</span></th><th>Prefix</th><th>Package</th><th>A</th><th>B</th></tr></thead>
          <tbody>
            {packages.map((p) => (
              <tr key={`${p.prefix} ${p.name} ${p.change}`} data-change={p.change} data-name={p.name}>
                <td><span aria-hidden="true">{sign[p.change]}</span><span className="visually-hidden">{p.change}</span></td><td className="mono">/{p.prefix}</td><td>{p.name}</td>
                <td className="mono">{p.a ? `${p.a.version} ${p.a.build}` : ''}</td><td className="mono">{p.b ? `${p.b.version} ${p.b.build}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.warnings.length > 0 && <ul className="warnings" data-testid="compare-warnings">{c.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
    </section>
  );
}
