/**
 * The base image of a build: a reference with tag autocomplete, a platform (and the other platforms a
 * multi-platform build adds), optional credentials, or a picked (or dropped) tarball instead; and "Save this image", which pulls the reference through the CORS
 * proxy in a worker and writes a docker-archive tar. The fields live in the build draft.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { formatBytes } from '../../core/inspect/format';
import { isCancelled, tagsQuery, useSaveImage } from '../../queries/registry-queries';
import { draftPlatforms, useBuildDraft } from '../../state/build-draft';
import { CredentialsDialog, type Creds } from './CredentialsDialog';

/** The platforms offered for a referenced image. */
export const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x'];

type Picker = (o: object) => Promise<FileSystemFileHandle>;

/** Repository part of a reference, for the tag query key ('' when it cannot be one yet). */
function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0];
  const i = noDigest.lastIndexOf(':');
  return (i > noDigest.lastIndexOf('/') ? noDigest.slice(0, i) : noDigest).trim();
}

/** `value` once it has stayed the same for `ms`. */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** The base-image form. */
export function BaseImage({ error, platformError }: { error?: string; platformError?: string }) {
  const { base, platform: platforms, creds, set } = useBuildDraft();
  const [platform, ...extra] = draftPlatforms({ platform: platforms });
  const ref = base.kind === 'ref' ? base.ref : '';
  const setRef = (r: string) => set({ base: { kind: 'ref', ref: r } });
  // the first platform is the one chosen above; the others follow in the list's order
  const setPlatforms = (first: string, others: string[]) => set({ platform: [first, ...PLATFORMS.filter((p) => p !== first && others.includes(p))].join(',') });
  const toggleExtra = (p: string, on: boolean) => setPlatforms(platform, on ? [...extra, p] : extra.filter((q) => q !== p));
  const setCreds = (c: Creds | undefined) => set({ creds: c });
  const [askCreds, setAskCreds] = useState(false);
  // looked up once typing pauses: each lookup replaced while in flight terminates the registry worker
  const repo = useSettled(repositoryOf(ref), 250);
  const tags = useQuery(tagsQuery(repo, creds));
  const saving = useSaveImage();
  const state = saving.isPending ? 'pulling' : saving.isSuccess ? 'done'
    : saving.isError ? (isCancelled(saving.error) ? 'cancelled' : 'error') : 'idle';

  async function save(e: FormEvent) {
    e.preventDefault();
    let handle: FileSystemFileHandle | undefined;
    const picker = (window as unknown as { showSaveFilePicker?: Picker }).showSaveFilePicker;
    if (picker) {
      const name = `${repositoryOf(ref).split('/').pop()}.tar`;
      try {
        handle = await picker({ suggestedName: name, types: [{ description: 'docker save tarball', accept: { 'application/x-tar': ['.tar'] } }] });
      } catch (err) {
        if ((err as Error).name === 'AbortError') { saving.reset(); return; }
      }
    }
    saving.mutate({ ref, platform, creds, handle });
  }

  return (
    <section className="card" aria-labelledby="base-image-title"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => { const f = e.dataTransfer.files[0]; if (f) { e.preventDefault(); set({ base: { kind: 'file', file: f } }); } }}>
      <h2 id="base-image-title">Base image</h2>
      <form className="base-form" onSubmit={save}>
        <label>
          Image
          <input data-testid="base-ref" value={ref} onChange={(e) => setRef(e.target.value)} list="base-tags" spellCheck={false} required
            placeholder={base.kind === 'file' ? `(the tarball ${base.file.name})` : 'ubuntu:24.04, ghcr.io/owner/image:tag, 127.0.0.1:5000/repo:tag'}
            aria-invalid={error ? true : undefined} aria-describedby={error ? 'base-error' : undefined} />
        </label>
        <label>
          or a tarball
          <input type="file" data-testid="base-file" accept=".tar,.tar.gz,.tgz,application/x-tar"
            onChange={(e) => { const f = e.target.files?.[0]; if (f) set({ base: { kind: 'file', file: f } }); }} />
        </label>
        <datalist id="base-tags">
          {(tags.data ?? []).slice(0, 200).map((t) => <option key={t} value={`${repo}:${t}`} />)}
        </datalist>
        <label>
          Platform
          <select data-testid="base-platform" value={platform} onChange={(e) => setPlatforms(e.target.value, extra)}>
            {PLATFORMS.map((p) => <option key={p}>{p}</option>)}
          </select>
        </label>
        <fieldset className="platform-extra" data-testid="base-platforms" aria-describedby={platformError ? 'platform-error' : undefined}>
          <legend>Also build for</legend>
          {PLATFORMS.filter((p) => p !== platform).map((p) => (
            <label key={p} className="check">
              <input type="checkbox" data-testid={`platform-${p}`} checked={extra.includes(p)} onChange={(e) => toggleExtra(p, e.target.checked)} />
              {p}
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={() => setAskCreds(true)}>{creds ? `Signed in as ${creds.username}` : 'Credentials…'}</button>
        <button type="submit" data-testid="save-image" disabled={saving.isPending || base.kind === 'file'}>Save this image</button>
        {saving.isPending && <button type="button" data-testid="save-cancel" onClick={saving.cancel}>Cancel</button>}
      </form>
      {error && <p className="field-error" id="base-error" data-testid="base-error">{error}</p>}
      {platformError && <p className="field-error" id="platform-error" data-testid="platform-error">{platformError}</p>}
      {base.kind === 'file' && <p className="muted">Base: the tarball <code>{base.file.name}</code> ({formatBytes(base.file.size)}). Type a reference to use one instead.</p>}
      {tags.isError && <p className="muted">Tags unavailable: {(tags.error as Error).message}</p>}
      <div role="status" aria-live="polite" data-testid="pull-status" data-state={state}>
        {saving.isPending && (
          <p>Pulling… {saving.progress ? `${formatBytes(saving.progress.done)} of ${formatBytes(saving.progress.total)} (${saving.progress.blobs} layers)` : ''}</p>
        )}
        {saving.data && (
          <p>
            Saved <code>{saving.data.ref}</code> ({saving.data.platform}, {formatBytes(saving.data.size)}), manifest <code data-testid="pull-digest">{saving.data.manifestDigest}</code>.{' '}
            {saving.data.url && <a href={saving.data.url} download={`${repositoryOf(saving.data.ref).split('/').pop()}.tar`} data-testid="pull-download">Download the tar</a>}
          </p>
        )}
        {state === 'cancelled' && <p className="muted">Save cancelled.</p>}
        {state === 'error' && <p className="error" data-testid="pull-error">{(saving.error as Error).message}</p>}
      </div>
      {askCreds && <CredentialsDialog initial={creds} onClose={(c) => { setAskCreds(false); if (c !== undefined) setCreds(c ?? undefined); }} />}
    </section>
  );
}
