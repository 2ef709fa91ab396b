/**
 * The build history: recent builds (tag, its platforms when several, packages, layers, digests, date); Save again writes one from the
 * cache without building (its lock, its base by digest; nothing is downloaded or built while the cache holds
 * it); Open in the inspector saves it again into the browser's storage and opens it there.
 */
import { useQuery } from '@tanstack/react-query';
import { formatBytes } from '../../core/inspect/format';
import { historyQuery, useSaveAgain } from '../../queries/cache-queries';
import { useInspectorStore } from '../../state/inspector-store';

type Picker = (o: object) => Promise<FileSystemFileHandle>;

/** The platforms of a multi-platform build, as its form recorded them. */
const platformsOf = (form: Record<string, unknown>): string => String((form.base as { platform?: unknown } | undefined)?.platform ?? '').replace(/,/g, ', ');

/** The history list; `openInspector` switches the page to the inspector. */
export function HistoryList({ openInspector }: { openInspector: () => void }) {
  const history = useQuery(historyQuery());
  const save = useSaveAgain();

  async function saveAgain(id: number, tag: string) {
    let handle: FileSystemFileHandle | undefined;
    const picker = (window as unknown as { showSaveFilePicker?: Picker }).showSaveFilePicker;
    if (picker) {
      try {
        handle = await picker({ suggestedName: `${tag.split('/').pop()!.replace(':', '-')}.tar`, types: [{ description: 'docker save tarball', accept: { 'application/x-tar': ['.tar'] } }] });
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        throw err;
      }
    }
    save.mutate({ id, ...(handle ? { handle } : {}) });
  }

  async function inspect(id: number) {
    const built = await save.mutateAsync({ id });
    if (!built.file) return;
    useInspectorStore.getState().openInput({ kind: 'file', file: built.file });
    openInspector();
  }

  const rows = history.data ?? [];
  return (
    <section className="card" aria-labelledby="history-title" data-testid="history">
      <h2 id="history-title">History</h2>
      {rows.length === 0 && <p className="muted">{history.error ? history.error.message : 'No builds yet.'}</p>}
      {rows.length > 0 && (
        <table className="table small" data-testid="history-list">
          <thead><tr><th>Built</th><th>Image</th><th className="num">Packages</th><th className="num">Layers (cached)</th><th>Manifest</th><th>Archive sha256</th><th /></tr></thead>
          <tbody>
            {rows.map((h) => (
              <tr key={h.id} data-testid="history-row">
                <td>{new Date(h.date).toLocaleString()}</td>
                <td className="mono">{h.tag} <span className="muted">{formatBytes(h.size)}</span>
                  {h.platformLocks && <span className="muted" data-testid="history-platforms"> {platformsOf(h.form)}</span>}</td>
                <td className="num">{h.packages}</td>
                <td className="num">{h.layers} ({h.cachedLayers})</td>
                <td className="mono" title={h.manifestDigest}>{h.manifestDigest.slice(0, 19)}</td>
                <td className="mono" data-testid="history-sha256" title={h.archiveSha256}>{h.archiveSha256.slice(7, 19)}</td>
                <td>
                  <button type="button" disabled={save.isPending} onClick={() => void saveAgain(h.id!, h.tag)} aria-label={`Save ${h.tag} again`}>Save again</button>{' '}
                  <button type="button" disabled={save.isPending} onClick={() => void inspect(h.id!)} aria-label={`Open ${h.tag} in the inspector`}>Open in the inspector</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div role="status" aria-live="polite">
        {save.isPending && <p>Saving again from the cache…</p>}
        {save.error && <p className="error" data-testid="save-again-error">{save.error.message}</p>}
        {save.data && (
          <p data-testid="save-again-done">
            Saved <code>{save.data.tag}</code> again ({save.data.cachedLayers} of {save.data.layers - 1} layers from the cache), manifest <code>{save.data.manifestDigest}</code>.{' '}
            {save.data.url && <a href={save.data.url} download={`${save.data.tag.split('/').pop()!.replace(':', '-')}.tar`}>Download the tar</a>}
          </p>
        )}
        {save.data && save.data.warnings.length > 0 && <ul className="warnings">{save.data.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
      </div>
    </section>
  );
}
