/**
 * The package specs of a build, one per row (`numpy`, `numpy>=2`, `conda-forge::python=3.12`), each checked
 * by the core's spec parser as it is typed; the channels' package names (and the typed package's versions)
 * are offered for autocomplete, read on the solve worker.
 * Enter in a row adds the next one, so a list can be typed without the mouse. Below them, the pip list.
 */
import { useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { parseSpec } from '../../core/solver/spec';
import { packageIndexQuery } from '../../queries/build-queries';
import { useBuildDraft } from '../../state/build-draft';
import type { DraftErrors } from '../../state/draft-check';
import { useSettled } from './BaseImage';
import { changeKeepingFocus, fieldOfRow } from './row-focus';

/** The spec's package name, or undefined while it is not a spec. */
function nameOf(value: string): string | undefined {
  try { return value.trim() ? parseSpec(value).name : undefined; } catch { return undefined; }
}

/** The spec rows, with names and versions from the channels' repodata to pick from. */
export function PackageSpecs({ errors }: { errors: DraftErrors }) {
  const draft = useBuildDraft();
  const { specs, addSpec, setSpec, removeSpec } = draft;
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const add = () => changeKeepingFocus(() => addSpec(), list.current, fieldOfRow(Infinity));
  // the focused row's text: names and versions are looked up for it only
  const [editing, setEditing] = useState('');
  const typed = useSettled(editing, 250);
  const channelsValid = draft.channels.length > 0 && !Object.keys(errors).some((k) => k.startsWith('channel'));
  const index = useQuery(packageIndexQuery(draft, nameOf(typed), channelsValid && typed !== ''));
  const name = nameOf(typed);
  const options = [
    ...(name ? (index.data?.versions ?? []).map((v) => `${name}=${v}`) : []),
    ...(index.data?.names ?? []).filter((n) => n.startsWith(typed.trim().toLowerCase())).slice(0, 200),
  ];
  return (
    <fieldset className="rows" data-testid="specs">
      <legend>Packages</legend>
      <ol className="plain" ref={list}>
        {specs.map((s, i) => {
          const error = errors[`spec:${s.id}`];
          const id = `spec-${s.id}`;
          return (
            <li key={s.id} className="row">
              <label htmlFor={id} className="visually-hidden">Package {i + 1}</label>
              <input id={id} data-testid="spec-input" value={s.value} list="spec-names" spellCheck={false}
                onChange={(e) => { setSpec(s.id, e.target.value); setEditing(e.target.value); }} onFocus={(e) => setEditing(e.target.value)} onBlur={() => setEditing('')} placeholder="numpy>=2"
                onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }}
                aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
              <button type="button" aria-label={`Remove package ${i + 1}`} onClick={() => changeKeepingFocus(() => removeSpec(s.id), list.current, (rows) => fieldOfRow(i)(rows) ?? addButton.current)}>✕</button>
              {error && <p className="field-error" id={`${id}-error`} data-testid="spec-error">{error}</p>}
            </li>
          );
        })}
      </ol>
      <datalist id="spec-names">{options.map((n) => <option key={n} value={n} />)}</datalist>
      {errors.specs && <p className="field-error">{errors.specs}</p>}
      <button type="button" ref={addButton} data-testid="add-spec" onClick={add}>Add a package</button>
      <div className="field">
        <label htmlFor="cfg-pip">pip packages (environment.yml's <code>pip:</code> list, one a line: requirements, <code>--index-url</code>, <code>--extra-index-url</code>, <code>--hash</code>), installed from wheels after the conda packages</label>
        <textarea id="cfg-pip" data-testid="cfg-pip" rows={2} value={draft.pip} spellCheck={false} onChange={(e) => draft.set({ pip: e.target.value })} placeholder="requests==2.32.3"
          aria-invalid={errors.pip ? true : undefined} aria-describedby={errors.pip ? 'cfg-pip-error' : undefined} />
        {errors.pip && <p className="field-error" id="cfg-pip-error" data-testid="pip-error">{errors.pip}</p>}
      </div>
    </fieldset>
  );
}
