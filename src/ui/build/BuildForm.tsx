/**
 * The Build view: the draft (base, channels, packages, image settings), checked field by field before
 * anything is fetched; Preview (a solve on the solve worker); Build (a mutation on the build worker),
 * saved through the file picker where there is one, else into OPFS and offered as a download.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { resolveChannel } from '../../core/conda/channel';
import { proxiedUrl } from '../../core/net/proxied-fetch';
import { draftKey, previewQuery, useBuild } from '../../queries/build-queries';
import { basePinDigest } from '../../core/pipeline/multi-platform';
import { useBuildDraft, type BuildDraft } from '../../state/build-draft';
import { checkDraft, type DraftErrors } from '../../state/draft-check';
import { useInspectorStore } from '../../state/inspector-store';
import { BaseImage } from './BaseImage';
import { BuildRun } from './BuildRun';
import { ChannelList } from './ChannelList';
import { ConfigFields } from './ConfigFields';
import { EnvironmentFile } from './EnvironmentFile';
import { PackageSpecs } from './PackageSpecs';
import { ShareLink, type ShareSource } from './ShareLink';
import { SolvePreview } from './SolvePreview';
import { TrySample } from './TrySample';

type Picker = (o: object) => Promise<FileSystemFileHandle>;

/** Errors of a failed fetch put on the channel rows whose URL the message names (unreachable, not allowed). */
function channelFetchErrors(d: BuildDraft, error: Error | null): DraftErrors {
  const out: DraftErrors = {};
  if (!error) return out;
  for (const c of d.channels) {
    let url: string;
    try { url = resolveChannel(c.value).url.replace(/\/$/, ''); } catch { continue; }
    // the message may name the channel as fetched through the proxy (`/proxy/host:port/path`)
    const viaProxy = /^https?:/.test(url) ? proxiedUrl('', url).slice(1) : url;
    if (error.message.includes(url) || error.message.includes(`/${viaProxy}/`)) out[`channel:${c.id}`] = `${url} could not be read: ${error.message}`;
  }
  return out;
}

/** The Build view; `openInspector` switches the page to the inspector (once it has been given the file). */
export function BuildForm({ openInspector }: { openInspector: () => void }) {
  const draft = useBuildDraft();
  const errors = useMemo(() => checkDraft(draft), [draft]);
  const valid = Object.keys(errors).length === 0;
  const key = draftKey(draft);
  const [asked, setAsked] = useState<string>();
  const preview = useQuery(previewQuery(draft, valid && asked === key));
  const build = useBuild();
  // a link is made of what was last solved: the build's draft and locks, else the preview's
  const shareSource: ShareSource | undefined = build.data && build.variables
    ? { draft: build.variables.draft, locks: build.data.platforms ?? [build.data], baseDigest: build.data.baseDigest }
    : preview.data && asked === key ? { draft, locks: preview.data, baseDigest: basePinDigest(preview.data.map((p) => ({ manifestDigest: p.baseDigest, indexDigest: p.baseIndexDigest }))) } : undefined;
  const shown = { ...errors, ...(asked === key ? channelFetchErrors(draft, preview.error) : {}) };

  async function start() {
    let handle: FileSystemFileHandle | undefined;
    const picker = (window as unknown as { showSaveFilePicker?: Picker }).showSaveFilePicker;
    if (picker) {
      const name = `${draft.tag.split('/').pop()!.replace(':', '-')}.tar`;
      try {
        handle = await picker({ suggestedName: name, types: [{ description: 'docker save tarball', accept: { 'application/x-tar': ['.tar'] } }] });
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        throw err;
      }
    }
    build.mutate({ draft, ...(handle ? { handle } : {}) });
  }

  async function open() {
    const file = build.data?.file ?? (build.variables?.handle ? await build.variables.handle.getFile() : undefined);
    if (!file) return;
    useInspectorStore.getState().openInput({ kind: 'file', file });
    openInspector();
  }

  return (
    <div className="build-view">
      <BaseImage error={errors.base} platformError={errors.platform} />
      <section className="card build-form" aria-labelledby="environment-title">
        <h2 id="environment-title">Environment</h2>
        <ChannelList errors={shown} />
        <PackageSpecs errors={shown} />
        <ConfigFields errors={shown} />
        <EnvironmentFile errors={shown} />
        <div className="actions">
          <TrySample />
          <button type="button" data-testid="preview-button" disabled={!valid} onClick={() => setAsked(key)}>Preview</button>
          <button type="button" data-testid="build-button" disabled={!valid || build.isPending} onClick={() => void start()}>Build</button>
          {!valid && <span className="muted small" data-testid="form-invalid">Fix the marked fields first.</span>}
        </div>
      </section>
      <SolvePreview preview={{ ...preview, isFetching: preview.isFetching }} onCopyLock={(lock) => draft.set({ lock })} />
      <BuildRun build={build} onOpen={() => void open()} />
      <ShareLink source={shareSource} />
    </div>
  );
}
