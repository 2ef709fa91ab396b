/**
 * The Build view's "Try the sample build" button: fills the draft from the app's offline sample
 * (`/sample/sample.json`, served with the app), so that an image can be built and saved with no network.
 * The base is the sample's busybox archive (a File, as if picked) and the channel is the sample folder on
 * the app's own origin, which the workers read directly rather than through the proxy.
 */
import { useState } from 'react';
import { useBuildDraft } from '../../state/build-draft';

/** The parts of `sample.json` the form uses (paths are relative to it). */
interface SampleManifest {
  base: { path: string };
  channel: string;
  specs: string[];
  tag: string;
}

/** Reads `url` or throws with its status, naming the sample file. */
async function fetchOk(url: URL): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`the sample's ${url.pathname} could not be read (HTTP ${res.status})`);
  return res;
}

/** Fetches the sample's description and base archive and puts them into the draft. */
async function fillFromSample(): Promise<void> {
  const manifestUrl = new URL('/sample/sample.json', location.origin);
  const sample = (await (await fetchOk(manifestUrl)).json()) as SampleManifest;
  const baseUrl = new URL(sample.base.path, manifestUrl);
  const blob = await (await fetchOk(baseUrl)).blob();
  const file = new File([blob], baseUrl.pathname.split('/').pop()!, { type: 'application/x-tar' });
  const draft = useBuildDraft.getState();
  draft.replaceLists([new URL(sample.channel, manifestUrl).href], sample.specs);
  draft.set({ base: { kind: 'file', file }, tag: sample.tag, lock: '' });
}

/** The button, with its own pending state and error. */
export function TrySample() {
  const [state, setState] = useState<'idle' | 'loading' | 'error'>('idle');
  const [error, setError] = useState<string>();
  function run() {
    setState('loading');
    fillFromSample().then(() => setState('idle'), (err: Error) => { setError(err.message); setState('error'); });
  }
  return (
    <>
      <button type="button" data-testid="try-sample-build" disabled={state === 'loading'} onClick={run}
        title="Fill the form with the app's built-in sample: a busybox base and a small channel, built with no network">
        Try the sample build
      </button>
      {state === 'error' && <span className="error small" role="alert" data-testid="try-sample-error">{error}</span>}
    </>
  );
}
