/** One image's identity and runtime config (tags, platform, ids, env, entrypoint, cmd, labels) and its history. */
import type { ImageOverview } from '../../core/inspect/session';

const json = (v: unknown) => JSON.stringify(v);

/** The image's facts as a definition list plus its history table. */
export function ImageDetails({ image }: { image: ImageOverview }) {
  const c = image.config.config ?? {};
  const rows: Array<[string, string | undefined, string]> = [
    ['Tags', image.tags.length ? image.tags.join(', ') : '(untagged)', 'tags'],
    ['Platform', image.platform, 'platform'],
    ['Image ID', image.configDigest, 'config-digest'],
    ['Manifest', image.manifestDigest, 'manifest-digest'],
    ['Created', image.config.created, 'created'],
    ['User', c.User || undefined, 'user'],
    ['Working dir', c.WorkingDir || undefined, 'workdir'],
    ['Entrypoint', c.Entrypoint?.length ? json(c.Entrypoint) : undefined, 'entrypoint'],
    ['Cmd', c.Cmd?.length ? json(c.Cmd) : undefined, 'cmd'],
  ];
  const labels = Object.entries(c.Labels ?? {});
  return (
    <section className="card" aria-labelledby="image-heading">
      <h3 id="image-heading">Image</h3>
      <dl className="facts">
        {rows.filter((r) => r[1] !== undefined).map(([k, v, id]) => (
          <div key={k}><dt>{k}</dt><dd data-testid={`image-${id}`} className="mono">{v}</dd></div>
        ))}
        {(c.Env?.length ?? 0) > 0 && (
          <div><dt>Env</dt><dd><ul className="plain mono" data-testid="image-env">{c.Env!.map((e) => <li key={e}>{e}</li>)}</ul></dd></div>
        )}
        {labels.length > 0 && (
          <div><dt>Labels</dt><dd><ul className="plain mono" data-testid="image-labels">{labels.map(([k, v]) => <li key={k}>{k}={v}</li>)}</ul></dd></div>
        )}
      </dl>
      {image.history.length > 0 && (
        <details>
          <summary>History ({image.history.length} step{image.history.length === 1 ? '' : 's'})</summary>
          <table className="table" data-testid="history">
            <thead><tr><th>Created</th><th>Created by</th><th>Layer</th></tr></thead>
            <tbody>
              {image.history.map((h, i) => (
                <tr key={i}><td className="nowrap">{h.created ?? ''}</td><td className="mono wrap">{h.created_by ?? h.comment ?? ''}</td><td>{h.empty_layer ? 'empty' : ''}</td></tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}
