/**
 * Share links in the Build view: "Copy share link" once a preview or a build has solved the form (the link
 * holds every field and the solved lock, see state/share-link.ts), the note shown while the form holds a
 * link's lock, and what opening a link left to say (unreadable, made by another layer format). Links are
 * opened from the page's fragment when the view mounts and whenever the fragment changes.
 */
import { useEffect, useState } from 'react';
import { explicitLockDigest, lockedPackagesOf, lockedWheelsOf } from '../../core/conda/lock-share';
import { LAYER_FORMAT_VERSION } from '../../core/pipeline/layer-format';
import { useBuildDraft, type BuildDraft } from '../../state/build-draft';
import { encodeShareLink, shareLinkOfDraft } from '../../state/share-link';
import { openShareFragment, useShareNotice } from '../../state/share-open';

/**
 * A solved form a link can be made of: the draft as it was solved, its explicit locks with their subdirs (one
 * per platform, in order) and the digest its base is pinned to.
 */
export interface ShareSource { draft: BuildDraft; locks: Array<{ lock: string; subdir: string }>; baseDigest: string }

/** The link of a solved form: the page's address with the share fragment. */
async function shareUrl(s: ShareSource): Promise<string> {
  const locks = await Promise.all(s.locks.map(async ({ lock, subdir }) => {
    const wheels = lockedWheelsOf(lock);
    return { subdir, sha256: await explicitLockDigest(lock, subdir), packages: lockedPackagesOf(lock), ...(wheels.length ? { wheels } : {}) };
  }));
  const fragment = encodeShareLink(shareLinkOfDraft(s.draft, { locks, baseDigest: s.baseDigest }, LAYER_FORMAT_VERSION));
  return `${location.origin}${location.pathname}#${fragment}`;
}

/** The share-link card (nothing until there is a link to copy or a link's notice to show). */
export function ShareLink({ source }: { source?: ShareSource }) {
  const notice = useShareNotice();
  const shared = useBuildDraft((s) => s.shared);
  const clearShared = () => useBuildDraft.getState().set({ shared: undefined });
  const [made, setMade] = useState<{ url?: string; error?: string; copied?: boolean }>({});
  useEffect(() => {
    const open = () => openShareFragment(location.hash);
    open();
    window.addEventListener('hashchange', open);
    return () => window.removeEventListener('hashchange', open);
  }, []);

  async function copy() {
    if (!source) return;
    try {
      const url = await shareUrl(source);
      const copied = await navigator.clipboard?.writeText(url).then(() => true, () => false) ?? false;
      setMade({ url, copied });
    } catch (e) {
      setMade({ error: (e as Error).message });
    }
  }

  if (!source && !shared && !notice.error && !notice.warning) return null;
  const tarball = source?.draft.base.kind === 'file';
  return (
    <section className="card" aria-labelledby="share-title" data-testid="share">
      <h2 id="share-title">Share link</h2>
      {notice.error && <p className="error" role="alert" data-testid="share-error">{notice.error}</p>}
      {notice.warning && <p className="warnings" role="alert" data-testid="share-warning">{notice.warning}</p>}
      {shared && (
        <p data-testid="share-opened">
          The form holds {shared.length === 1 ? 'a shared lock' : `${shared.length} shared locks (one per platform)`} of {shared.map((l) => l.packages.length).join(' + ')} packages{shared.some((l) => l.wheels?.length) ? ` and ${shared.map((l) => l.wheels?.length ?? 0).join(' + ')} pip packages` : ''}
          (sha256 {shared.map((l) => <code key={l.sha256}>{l.sha256.slice(0, 12)}…</code>)}): building takes each
          package&apos;s hash from the channels&apos; repodata and refuses a lock that differs. Changing the base, platform, channels,
          packages or prefix drops it.{' '}
          <button type="button" onClick={clearShared}>Solve the specs instead</button>
        </p>
      )}
      {source && (
        <p>
          <button type="button" data-testid="share-copy" disabled={tarball} onClick={() => void copy()}>Copy share link</button>{' '}
          {tarball && <span className="muted small">A picked tarball base cannot travel in a link: use a registry reference.</span>}
          {made.copied && <span className="muted small" role="status">Copied ({made.url!.length} characters).</span>}
        </p>
      )}
      {made.url && (
        <label>
          Link ({made.url.length} characters; the part after # never leaves the browser)
          <input readOnly value={made.url} data-testid="share-url" onFocus={(e) => e.target.select()} />
        </label>
      )}
      {made.error && <p className="error" data-testid="share-copy-error">{made.error}</p>}
    </section>
  );
}
