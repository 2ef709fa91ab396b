/** An opened archive: its images (a switcher when there are several), layers, and the detail tabs. */
import { useEffect, useRef } from 'react';
import type { ArchiveOverview } from '../../core/inspect/session';
import { formatBytes } from '../../core/inspect/format';
import { useArchiveIndex } from '../../queries/inspect-queries';
import { useInspectorStore } from '../../state/inspector-store';
import { describeError } from './describe-error';
import { DetailTabs } from './DetailTabs';
import { ImageDetails } from './ImageDetails';
import { setInspectorPhase } from './phase';
import { LayerTable } from './LayerTable';

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Props: the worker's archive id and what opening it told. */
export interface ArchiveViewProps { id: number; overview: ArchiveOverview }

/** The archive summary, image switcher, image details, layers and tabs. */
export function ArchiveView({ id, overview }: ArchiveViewProps) {
  const image = useInspectorStore((s) => s.image);
  const selectImage = useInspectorStore((s) => s.selectImage);
  const index = useArchiveIndex(id, overview.images.length);
  const marked = useRef({ layers: false, indexed: false });

  useEffect(() => {
    if (marked.current.layers) return;
    marked.current.layers = true;
    performance.mark('inspector:layers-shown');
    if (document.body.dataset.inspector !== 'indexed') setInspectorPhase('layers');
  }, []);
  useEffect(() => {
    if (index.isSuccess && !marked.current.indexed) {
      marked.current.indexed = true;
      performance.mark('inspector:indexed');
      setInspectorPhase('indexed');
    }
    if (index.isError) setInspectorPhase('error');
  }, [index.isSuccess, index.isError]);

  const img = overview.images[image] ?? overview.images[0];
  const idx = index.data?.[image];
  return (
    <div className="archive" data-testid="archive-view">
      <div className="archive-head">
        <h2>{overview.name}</h2>
        <span className="chip">{overview.dialect}</span>
        {overview.outerCompression !== 'none' && <span className="chip">{overview.outerCompression}-wrapped</span>}
        <span className="muted">{overview.images.length} image{overview.images.length === 1 ? '' : 's'}</span>
        {idx && (
          <span className="efficiency" data-testid="efficiency">
            efficiency <strong>{(idx.efficiency * 100).toFixed(1)} %</strong> · wasted <strong>{formatBytes(idx.wastedBytes)}</strong> of {formatBytes(idx.totalBytes)}
          </span>
        )}
      </div>
      {overview.warnings.length > 0 && (
        <ul className="warnings">{overview.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
      )}
      {overview.images.length > 1 && (
        <div role="tablist" aria-label="Images in this archive" className="image-tabs">
          {overview.images.map((im, i) => (
            <button key={i} role="tab" type="button" aria-selected={i === image} onClick={() => selectImage(i)} data-testid={`image-tab-${i}`}>
              {im.tags[0] ?? `untagged ${im.configDigest.slice(7, 19)}`}
            </button>
          ))}
        </div>
      )}
      <ImageDetails image={img} />
      <LayerTable image={img} index={idx} />
      {index.isPending && <p role="status" className="status">Indexing every layer…</p>}
      {idx && (
        <p className="muted small" data-testid="index-timings">
          Indexed {plural(idx.layers.reduce((a, l) => a + l.entries, 0), 'entry', 'entries')} in {idx.timings.totalMs} ms
          (layers listed in {idx.timings.listMs} ms, merged in {idx.timings.mergeMs} ms).
        </p>
      )}
      {index.isError && <div role="alert" className="error" data-testid="inspector-error"><strong>Could not read the layers.</strong> {describeError(index.error)}</div>}
      {idx && idx.warnings.length > 0 && <ul className="warnings">{idx.warnings.slice(0, 20).map((w, i) => <li key={i}>{w}</li>)}</ul>}
      <DetailTabs id={id} overview={overview} image={image} index={idx} />
    </div>
  );
}
