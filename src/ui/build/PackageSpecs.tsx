/**
 * The package specs of a build, one per row (`numpy`, `numpy>=2`, `conda-forge::python=3.12`), each checked
 * by the core's spec parser as it is typed; names the last preview solved are offered for autocomplete.
 * Enter in a row adds the next one, so a list can be typed without the mouse.
 */
import { useBuildDraft } from '../../state/build-draft';
import type { DraftErrors } from '../../state/draft-check';

/** The spec rows. `names` are package names to offer (from the channels' repodata as the last preview saw it). */
export function PackageSpecs({ errors, names = [] }: { errors: DraftErrors; names?: string[] }) {
  const { specs, addSpec, setSpec, removeSpec } = useBuildDraft();
  return (
    <fieldset className="rows" data-testid="specs">
      <legend>Packages</legend>
      <ol className="plain">
        {specs.map((s, i) => {
          const error = errors[`spec:${s.id}`];
          const id = `spec-${s.id}`;
          return (
            <li key={s.id} className="row">
              <label htmlFor={id} className="visually-hidden">Package {i + 1}</label>
              <input id={id} data-testid="spec-input" value={s.value} list="spec-names" spellCheck={false} autoFocus={i > 0 && i === specs.length - 1 && !s.value}
                onChange={(e) => setSpec(s.id, e.target.value)} placeholder="numpy>=2"
                onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addSpec(); } }}
                aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
              <button type="button" aria-label={`Remove package ${i + 1}`} onClick={() => removeSpec(s.id)}>✕</button>
              {error && <p className="field-error" id={`${id}-error`} data-testid="spec-error">{error}</p>}
            </li>
          );
        })}
      </ol>
      <datalist id="spec-names">{names.slice(0, 500).map((n) => <option key={n} value={n} />)}</datalist>
      {errors.specs && <p className="field-error">{errors.specs}</p>}
      <button type="button" data-testid="add-spec" onClick={() => addSpec()}>Add a package</button>
    </fieldset>
  );
}
