/**
 * A build as it runs and once it is done: the phase, bytes per package with speed and ETA, layers built, a
 * log, Cancel; then the saved file (a download link when no file was picked), "Open in the inspector" and
 * the push form.
 */
import { formatBytes } from '../../core/inspect/format';
import type { BuildResult, BuildStatus } from '../../queries/build-queries';
import { isCancelled } from '../../queries/registry-queries';
import { PushPanel } from './PushPanel';

/** What the build mutation gives this view. */
export interface BuildView {
  isPending: boolean;
  error: Error | null;
  data?: BuildResult;
  status: BuildStatus;
  /** what the build was asked for: the file the user picked, if any */
  variables?: { handle?: FileSystemFileHandle };
  cancel(): void;
}

const seconds = (s: number) => (s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`);

/** The per-package downloads: bytes of total, speed since the package started, time left. */
function Downloads({ status }: { status: BuildStatus }) {
  const now = status.at ?? 0;
  const pkgs = status.progress?.packages ?? [];
  if (pkgs.length === 0) return null;
  return (
    <table className="table small" data-testid="build-downloads">
      <thead><tr><th>Package</th><th className="num">Bytes</th><th className="num">Speed</th><th className="num">Left</th></tr></thead>
      <tbody>
        {pkgs.map((p) => {
          const elapsed = Math.max(0.001, (now - (status.started[p.fn] ?? now)) / 1000);
          const speed = p.bytes / elapsed;
          const left = p.total !== undefined && speed > 0 && !p.done ? (p.total - p.bytes) / speed : 0;
          return (
            <tr key={p.fn}>
              <td className="mono">{p.fn}</td>
              <td className="num">{formatBytes(p.bytes)}{p.total !== undefined ? ` / ${formatBytes(p.total)}` : ''}</td>
              <td className="num">{p.cached ? 'cached' : p.done ? 'done' : `${formatBytes(speed)}/s`}</td>
              <td className="num">{left ? seconds(left) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The build card. */
export function BuildRun({ build, onOpen }: { build: BuildView; onOpen: () => void }) {
  const { isPending, error, data, status } = build;
  const state = isPending ? 'building' : data ? 'done' : error ? (isCancelled(error) ? 'cancelled' : 'error') : 'idle';
  if (state === 'idle') return null;
  const p = status.progress;
  return (
    <section className="card" aria-labelledby="build-title" data-testid="build-status" data-state={state}>
      <h2 id="build-title">Build</h2>
      <div role="status" aria-live="polite">
        {isPending && <p data-testid="build-phase" data-phase={p?.phase ?? 'base'}>Phase: {p?.phase ?? 'starting'}{p && p.layers.total > 0 ? `, layers ${p.layers.done}/${p.layers.total}` : ''}</p>}
        {state === 'cancelled' && <p className="muted" data-testid="build-cancelled">Build cancelled.</p>}
        {state === 'error' && <pre className="error" data-testid="build-error">{error!.message}</pre>}
        {data && (
          <p>
            Built <code>{data.tag}</code>{data.platforms ? ` for ${data.platforms.length} platforms` : ''}: {data.packages} packages in {data.layers} new layers (<span data-testid="build-cached-layers">{data.cachedLayers}</span> from the cache), {formatBytes(data.size)}, {data.platforms ? 'index' : 'manifest'} <code data-testid="build-digest">{data.manifestDigest}</code>.{' '}
            {data.url && <a href={data.url} download={`${data.tag.split('/').pop()!.replace(':', '-')}.tar`} data-testid="build-download">Download the tar</a>}{' '}
            <button type="button" data-testid="open-inspector" onClick={onOpen}>Open in the inspector</button>
          </p>
        )}
        {data?.platforms && (
          <ul className="plain small" data-testid="build-platforms">
            {data.platforms.map((p) => <li key={p.platform} data-platform={p.platform}>{p.platform} ({p.subdir}): {p.packages} packages, manifest <code>{p.manifestDigest}</code></li>)}
          </ul>
        )}
      </div>
      {isPending && <button type="button" data-testid="build-cancel" onClick={build.cancel}>Cancel</button>}
      {isPending && <Downloads status={status} />}
      {data && <PushPanel archive={async () => data.file ?? await build.variables?.handle?.getFile()} {...(data.platforms ? { platforms: data.platforms.map((p) => p.platform) } : {})} />}
      {data && data.warnings.length > 0 && <ul className="warnings" data-testid="build-warnings">{data.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
      <details open={isPending}>
        <summary>Log ({status.log.length} lines)</summary>
        <pre className="build-log" data-testid="build-log">{status.log.slice(-200).join('\n')}</pre>
      </details>
    </section>
  );
}
