/**
 * The base image of a build: a reference with tag autocomplete, a platform, optional credentials, and
 * "Save this image", which pulls it through the CORS proxy in a worker and writes a docker-archive tar.
 */
import { useQuery } from '@tanstack/react-query';
import { proxy } from 'comlink';
import { useDeferredValue, useState, type FormEvent } from 'react';
import { proxyBase, registryBridge } from '../../bridge/registry-bridge';
import { formatBytes } from '../../core/inspect/format';
import type { PullProgress } from '../../../workers/registry.worker';
import { CredentialsDialog, type Creds } from './CredentialsDialog';

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x'];

type Status =
  | { state: 'idle' }
  | { state: 'pulling'; progress?: PullProgress }
  | { state: 'done'; ref: string; digest: string; platform: string; size: number; url?: string }
  | { state: 'error'; message: string };

function parsePlatform(p: string) {
  const [os, architecture, variant] = p.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Repository part of a reference, for the tag query key ('' when it cannot be one yet). */
function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0];
  const i = noDigest.lastIndexOf(':');
  return (i > noDigest.lastIndexOf('/') ? noDigest.slice(0, i) : noDigest).trim();
}

/** The base-image form. */
export function BaseImage() {
  const [ref, setRef] = useState('busybox:latest');
  const [platform, setPlatform] = useState('linux/amd64');
  const [creds, setCreds] = useState<Creds | undefined>();
  const [askCreds, setAskCreds] = useState(false);
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const repo = useDeferredValue(repositoryOf(ref));
  const tags = useQuery({
    queryKey: ['tags', repo, creds?.username ?? ''],
    queryFn: ({ signal }) => registryBridge.run((api) => api.listTags(proxyBase(), repo, creds), signal),
    enabled: repo.length > 1,
    retry: false,
    staleTime: 5 * 60_000,
  });

  async function save(e: FormEvent) {
    e.preventDefault();
    setStatus({ state: 'pulling' });
    try {
      let handle: FileSystemFileHandle | undefined;
      const picker = (window as unknown as { showSaveFilePicker?: (o: object) => Promise<FileSystemFileHandle> }).showSaveFilePicker;
      if (picker) {
        const name = `${repositoryOf(ref).split('/').pop()}.tar`;
        try {
          handle = await picker({ suggestedName: name, types: [{ description: 'docker save tarball', accept: { 'application/x-tar': ['.tar'] } }] });
        } catch (err) {
          if ((err as Error).name === 'AbortError') { setStatus({ state: 'idle' }); return; }
        }
      }
      const r = await registryBridge.run((api) => api.saveImage(proxyBase(), ref, parsePlatform(platform), creds, handle,
        proxy((p: PullProgress) => setStatus({ state: 'pulling', progress: p }))));
      setStatus({ state: 'done', ref: r.ref, digest: r.manifestDigest, platform: r.platform, size: r.size, url: r.file ? URL.createObjectURL(r.file) : undefined });
    } catch (err) {
      setStatus({ state: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  return (
    <section className="card" aria-labelledby="base-image-title">
      <h2 id="base-image-title">Base image</h2>
      <form className="base-form" onSubmit={save}>
        <label>
          Image
          <input data-testid="base-ref" value={ref} onChange={(e) => setRef(e.target.value)} list="base-tags" spellCheck={false} required
            placeholder="ubuntu:24.04, ghcr.io/owner/image:tag, 127.0.0.1:5000/repo:tag" />
        </label>
        <datalist id="base-tags">
          {(tags.data ?? []).slice(0, 200).map((t) => <option key={t} value={`${repo}:${t}`} />)}
        </datalist>
        <label>
          Platform
          <select data-testid="base-platform" value={platform} onChange={(e) => setPlatform(e.target.value)}>
            {PLATFORMS.map((p) => <option key={p}>{p}</option>)}
          </select>
        </label>
        <button type="button" onClick={() => setAskCreds(true)}>{creds ? `Signed in as ${creds.username}` : 'Credentials…'}</button>
        <button type="submit" data-testid="save-image" disabled={status.state === 'pulling'}>Save this image</button>
      </form>
      {tags.isError && <p className="muted">Tags unavailable: {(tags.error as Error).message}</p>}
      <div role="status" aria-live="polite" data-testid="pull-status" data-state={status.state}>
        {status.state === 'pulling' && (
          <p>Pulling… {status.progress ? `${formatBytes(status.progress.done)} of ${formatBytes(status.progress.total)} (${status.progress.blobs} layers)` : ''}</p>
        )}
        {status.state === 'done' && (
          <p>
            Saved <code>{status.ref}</code> ({status.platform}, {formatBytes(status.size)}), manifest <code data-testid="pull-digest">{status.digest}</code>.{' '}
            {status.url && <a href={status.url} download={`${repositoryOf(status.ref).split('/').pop()}.tar`} data-testid="pull-download">Download the tar</a>}
          </p>
        )}
        {status.state === 'error' && <p className="error" data-testid="pull-error">{status.message}</p>}
      </div>
      {askCreds && <CredentialsDialog initial={creds} onClose={(c) => { setAskCreds(false); if (c !== undefined) setCreds(c ?? undefined); }} />}
    </section>
  );
}
