/** The layers of one image with a bar chart of their sizes, counts once indexed, and wasted space. */
import type { ImageIndex, ImageOverview } from '../../core/inspect/session';
import { formatBytes } from '../../core/inspect/format';
import { useInspectorStore } from '../../state/inspector-store';

/** The layer table; a row selects the layer for the Files tab. */
export function LayerTable({ image, index }: { image: ImageOverview; index?: ImageIndex }) {
  const selectLayer = useInspectorStore((s) => s.selectLayer);
  const selected = useInspectorStore((s) => s.layer);
  const sizeOf = (i: number) => image.layers[i].uncompressedSize ?? index?.layers[i].fileBytes ?? image.layers[i].size;
  const max = Math.max(1, ...image.layers.map((_, i) => sizeOf(i)));
  return (
    <section className="card" aria-labelledby="layers-heading">
      <h3 id="layers-heading">Layers ({image.layers.length})</h3>
      <table className="table layers" data-testid="layer-table">
        <thead>
          <tr><th>#</th><th>Size</th><th className="bar-col" aria-hidden="true"></th><th>Files</th><th>Wasted</th><th>Digest / diff_id</th><th>Created by</th></tr>
        </thead>
        <tbody>
          {image.layers.map((l, i) => {
            const st = index?.layers[i];
            return (
              <tr key={i} data-testid={`layer-row-${i}`} className={i === selected ? 'selected' : undefined}>
                <td><button type="button" className="link" onClick={() => selectLayer(i)} aria-label={`Show files of layer ${i}`}>{i}</button></td>
                <td className="num" title={`${sizeOf(i)} bytes${l.compression !== 'none' ? ` (stored ${l.compression}, ${l.size} bytes)` : ''}`}>
                  {formatBytes(sizeOf(i))}{l.compression !== 'none' && <span className="muted small"> ({formatBytes(l.size)} {l.compression})</span>}
                </td>
                <td className="bar-col" aria-hidden="true"><span className="bar" style={{ width: `${(100 * sizeOf(i)) / max}%` }} /></td>
                <td className="num" data-testid={`layer-entries-${i}`}>{st ? st.entries.toLocaleString('en-US') : '…'}
                  {st && st.whiteouts > 0 && <span className="tag del" title="whiteouts (deletions)">−{st.whiteouts}</span>}
                  {st && st.dangerous > 0 && <span className="tag danger" title="dangerous entries">⚠ {st.dangerous}</span>}
                </td>
                <td className="num">{st ? (st.wastedBytes ? formatBytes(st.wastedBytes) : '–') : '…'}</td>
                <td className="mono small digests">
                  <div data-testid={`layer-digest-${i}`}>{l.digest}</div>
                  <div className="muted" data-testid={`layer-diffid-${i}`}>{l.diffId}</div>
                </td>
                <td className="mono small wrap created-by">{l.createdBy ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
