/** The detail tabs: a layer's files, the merged filesystem, largest files, conda packages, raw members. */
import type { KeyboardEvent } from 'react';
import type { ArchiveOverview, ImageIndex } from '../../core/inspect/session';
import { formatBytes } from '../../core/inspect/format';
import { downloadLayerFile } from '../../queries/inspect-queries';
import { useInspectorStore, type InspectorTab } from '../../state/inspector-store';
import { CondaPanel } from './CondaPanel';
import { FileTree } from './FileTree';
import { RawMembers } from './RawMembers';

const TABS: Array<[InspectorTab, string]> = [['files', 'Layer files'], ['merged', 'Merged filesystem'], ['largest', 'Largest files'], ['conda', 'Conda packages'], ['raw', 'Raw archive']];

/** Props: the archive id, its overview, the selected image and its index (once ready). */
export interface DetailTabsProps { id: number; overview: ArchiveOverview; image: number; index?: ImageIndex }

/** Tab bar (arrow keys move between tabs) and the active panel. */
export function DetailTabs({ id, overview, image, index }: DetailTabsProps) {
  const tab = useInspectorStore((s) => s.tab);
  const selectTab = useInspectorStore((s) => s.selectTab);
  const layer = useInspectorStore((s) => s.layer);
  const selectLayer = useInspectorStore((s) => s.selectLayer);
  const layers = overview.images[image].layers;
  const onKey = (e: KeyboardEvent) => {
    const at = TABS.findIndex(([t]) => t === tab);
    const next = e.key === 'ArrowRight' ? (at + 1) % TABS.length : e.key === 'ArrowLeft' ? (at + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    selectTab(TABS[next][0]);
    document.getElementById(`tab-${TABS[next][0]}`)?.focus();
  };
  return (
    <section className="card">
      <div role="tablist" aria-label="Details" className="tabs">
        {TABS.map(([t, label]) => (
          <button key={t} id={`tab-${t}`} role="tab" type="button" aria-selected={tab === t} aria-controls={`panel-${t}`} tabIndex={tab === t ? 0 : -1} onKeyDown={onKey} onClick={() => selectTab(t)}>{label}</button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        {tab === 'files' && (
          <>
            <label className="inline">Layer{' '}
              <select value={layer} onChange={(e) => selectLayer(Number(e.currentTarget.value))} data-testid="layer-select">
                {layers.map((l, i) => <option key={i} value={i}>{i}: {l.diffId.slice(7, 19)} {l.createdBy ? `— ${l.createdBy.slice(0, 60)}` : ''}</option>)}
              </select>
            </label>
            <FileTree key={`${image}:${layer}`} id={id} image={image} source={layer} />
          </>
        )}
        {tab === 'merged' && (index
          ? <FileTree key={`${image}:merged`} id={id} image={image} source="merged" />
          : <p className="status">Indexing…</p>)}
        {tab === 'largest' && (index ? (
          <table className="table" data-testid="largest">
            <thead><tr><th>Size</th><th>Path</th><th>Layer</th><th><span className="visually-hidden">Download</span></th></tr></thead>
            <tbody>{index.largest.map((f) => (
              <tr key={f.path}><td className="num">{formatBytes(f.size)}</td><td className="mono">{f.path}</td><td className="num">{f.layer}</td>
                <td><button type="button" className="link" onClick={() => void downloadLayerFile(id, image, f.layer, f.path)}>download</button></td></tr>
            ))}</tbody>
          </table>
        ) : <p className="status">Indexing…</p>)}
        {tab === 'conda' && (index ? <CondaPanel id={id} image={image} index={index} /> : <p className="status">Indexing…</p>)}
        {tab === 'raw' && <RawMembers id={id} overview={overview} />}
      </div>
    </section>
  );
}
