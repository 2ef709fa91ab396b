/** Conda packages found in each layer's `<prefix>/conda-meta/*.json` records. */
import type { ImageIndex } from '../../core/inspect/session';
import { useCondaPackages } from '../../queries/inspect-queries';

function LayerConda({ id, image, layer }: { id: number; image: number; layer: number }) {
  const q = useCondaPackages(id, image, layer);
  if (q.isPending) return <p className="status">Reading conda-meta of layer {layer}…</p>;
  if (q.isError) return <p className="error">{String(q.error)}</p>;
  return (
    <div data-testid={`conda-layer-${layer}`}>
      <h4>Layer {layer}</h4>
      <table className="table">
        <thead><tr><th>Prefix</th><th>Name</th><th>Version</th><th>Build</th><th>Channel</th></tr></thead>
        <tbody>{q.data.records.map((r) => (
          <tr key={r.path}><td className="mono">/{r.prefix}</td><td>{r.name}</td><td>{r.version}</td><td className="mono">{r.build}</td><td className="muted small">{r.channel ?? ''}</td></tr>
        ))}</tbody>
      </table>
      {q.data.broken.length > 0 && <p className="warnings">Unreadable records: {q.data.broken.join(', ')}</p>}
    </div>
  );
}

/** One table per layer that holds conda-meta records. */
export function CondaPanel({ id, image, index }: { id: number; image: number; index: ImageIndex }) {
  const layers = index.layers.map((l, i) => (l.condaRecords > 0 ? i : -1)).filter((i) => i >= 0);
  if (layers.length === 0) return <p className="muted">No conda packages: no layer holds <code>conda-meta/*.json</code> records.</p>;
  return <>{layers.map((l) => <LayerConda key={l} id={id} image={image} layer={l} />)}</>;
}
