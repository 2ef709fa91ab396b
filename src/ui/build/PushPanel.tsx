/**
 * Push a built image: a target reference, credentials for its registry (the credentials dialog, kept in this
 * tab's memory), Push and Cancel, the bytes sent while it runs, then the digest the registry holds and how
 * many blobs went up and how many it already had. A failure (credentials refused, a host the proxy does not
 * reach, a dropped connection) is shown below the form, which stays usable for the next try.
 */
import { useState } from 'react';
import { formatBytes } from '../../core/inspect/format';
import { parseReference } from '../../core/registry/reference';
import { isCancelled } from '../../queries/registry-queries';
import { usePush } from '../../queries/push-queries';
import { CredentialsDialog, type Creds } from './CredentialsDialog';

const messageOf = (f: () => unknown): string | undefined => { try { f(); return undefined; } catch (e) { return (e as Error).message; } };

/** The push form under a finished build; `archive` reads the tar the build wrote, `platforms` lists a multi-platform build's. */
export function PushPanel({ archive, platforms }: { archive: () => Promise<File | undefined>; platforms?: string[] }) {
  const push = usePush();
  const [ref, setRef] = useState('');
  const [creds, setCreds] = useState<Creds | undefined>(undefined);
  const [askCreds, setAskCreds] = useState(false);
  const refError = ref.trim() ? messageOf(() => parseReference(ref.trim())) : undefined;
  const state = push.isPending ? 'pushing' : push.data ? 'done' : push.error ? (isCancelled(push.error) ? 'cancelled' : 'error') : 'idle';

  async function start() {
    const file = await archive();
    if (!file) return;
    push.mutate({ archive: file, ref: ref.trim(), ...(creds ? { creds } : {}), ...(platforms ? { platforms } : {}) });
  }

  const { data, progress } = push;
  const counts = data && (['uploaded', 'exists', 'mounted'] as const).map((how) => data.blobs.filter((b) => b.how === how).length);
  return (
    <div className="push-panel" data-testid="push-status" data-state={state} data-submitted={push.submittedAt}>
      <form className="base-form" onSubmit={(e) => { e.preventDefault(); if (!refError && ref.trim()) void start(); }}>
        <label>
          Push to
          <input data-testid="push-ref" value={ref} placeholder="registry.example.com/team/image:tag" spellCheck={false}
            aria-invalid={!!refError} aria-describedby={refError ? 'push-ref-error' : undefined} onChange={(e) => setRef(e.target.value)} />
        </label>
        <button type="button" onClick={() => setAskCreds(true)}>{creds ? `Pushing as ${creds.username}` : 'Push credentials…'}</button>
        <button type="submit" data-testid="push-button" disabled={push.isPending || !ref.trim() || !!refError}>Push</button>
        {push.isPending && <button type="button" data-testid="push-cancel" onClick={push.cancel}>Cancel push</button>}
      </form>
      {refError && <p className="field-error" id="push-ref-error" data-testid="push-ref-error">{refError}</p>}
      <div role="status" aria-live="polite">
        {push.isPending && <p>Pushing… {progress ? `${formatBytes(progress.sent)} sent` : 'checking which blobs the registry has'}</p>}
        {data && counts && (
          <p data-testid="push-result" data-uploaded-bytes={data.uploadedBytes}>
            Pushed <code>{data.ref}</code>, manifest <code data-testid="push-digest">{data.digest}</code>: {counts[0]} blobs uploaded
            ({formatBytes(data.uploadedBytes)}), {counts[1]} already there{counts[2] ? `, ${counts[2]} mounted` : ''}.
          </p>
        )}
        {state === 'cancelled' && <p className="muted">Push cancelled.</p>}
        {state === 'error' && <p className="error" data-testid="push-error">{push.error!.message}</p>}
      </div>
      {askCreds && <CredentialsDialog initial={creds} onClose={(c) => { setAskCreds(false); if (c !== undefined) setCreds(c ?? undefined); }} />}
    </div>
  );
}
