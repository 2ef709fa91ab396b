/**
 * One side of the Compare view: a registry reference (pulled through the proxy, with its platform) or an
 * image tarball picked or dropped on the box. The choice lives in the compare store.
 */
import { useState } from 'react';
import { formatBytes } from '../../core/inspect/format';
import { useCompareStore, type CompareInput } from '../../state/compare-store';
import { PLATFORMS } from '../build/BaseImage';

/** The picker of side `side` ('a' or 'b'). */
export function CompareSide({ side }: { side: 'a' | 'b' }) {
  const input = useCompareStore((s) => s[side]);
  const setSide = useCompareStore((s) => s.setSide);
  const [platform, setPlatform] = useState(input?.kind === 'ref' ? input.platform : 'linux/amd64');
  const ref = input?.kind === 'ref' ? input.ref : '';
  const put = (i: CompareInput | undefined) => setSide(side, i);
  const name = side.toUpperCase();
  return (
    <fieldset className="compare-side" data-testid={`compare-${side}`}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => { const f = e.dataTransfer.files[0]; if (f) { e.preventDefault(); put({ kind: 'file', file: f }); } }}>
      <legend>Image {name}</legend>
      <label>
        Reference
        <input data-testid={`compare-${side}-ref`} value={ref} spellCheck={false} placeholder="ubuntu:24.04, 127.0.0.1:5000/repo:tag"
          onChange={(e) => put(e.target.value ? { kind: 'ref', ref: e.target.value, platform } : undefined)} />
      </label>
      <label>
        Platform
        <select data-testid={`compare-${side}-platform`} value={platform}
          onChange={(e) => { setPlatform(e.target.value); if (input?.kind === 'ref') put({ ...input, platform: e.target.value }); }}>
          {PLATFORMS.map((p) => <option key={p}>{p}</option>)}
        </select>
      </label>
      <label>
        or a tarball (pick or drop it here)
        <input type="file" data-testid={`compare-${side}-file`} accept=".tar,.tar.gz,.tgz,application/x-tar"
          onChange={(e) => { const f = e.target.files?.[0]; if (f) put({ kind: 'file', file: f }); }} />
      </label>
      <p className="muted small" data-testid={`compare-${side}-chosen`}>
        {!input ? 'Nothing chosen yet.' : input.kind === 'file' ? `The tarball ${input.file.name} (${formatBytes(input.file.size)})` : `The reference ${input.ref} (${input.platform})`}
      </p>
    </fieldset>
  );
}
