/**
 * The rest of a build's settings: the prefix, the layering strategy and cap, environment variables, the
 * entrypoint, command and labels, the output `name:tag` and SOURCE_DATE_EPOCH (same value, same bytes: the CLI reads it from the environment).
 */
import type { ReactNode } from 'react';
import { useBuildDraft, type BuildDraft } from '../../state/build-draft';
import type { DraftErrors } from '../../state/draft-check';

/** A labelled field with its error under it. */
function Field({ label, name, errors, children }: { label: string; name: string; errors: DraftErrors; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={`cfg-${name}`}>{label}</label>
      {children}
      {errors[name] && <p className="field-error" id={`cfg-${name}-error`} data-testid={`${name}-error`}>{errors[name]}</p>}
    </div>
  );
}

/** Props of an input bound to a draft field. */
function bound(name: keyof BuildDraft & string, value: string, set: (p: Partial<BuildDraft>) => void, errors: DraftErrors) {
  return {
    id: `cfg-${name}`, 'data-testid': `cfg-${name}`, value, spellCheck: false,
    onChange: (e: { target: { value: string } }) => set({ [name]: e.target.value }),
    'aria-invalid': errors[name] ? true : undefined, 'aria-describedby': errors[name] ? `cfg-${name}-error` : undefined,
  };
}

/** Prefix, layering, variables, output and epoch. */
export function ConfigFields({ errors }: { errors: DraftErrors }) {
  const d = useBuildDraft();
  return (
    <fieldset className="config" data-testid="config">
      <legend>Image</legend>
      <Field label="Prefix" name="prefix" errors={errors}><input {...bound('prefix', d.prefix, d.set, errors)} /></Field>
      <Field label="Layering" name="strategy" errors={errors}>
        <select id="cfg-strategy" data-testid="cfg-strategy" value={d.strategy} onChange={(e) => d.set({ strategy: e.target.value as BuildDraft['strategy'] })}>
          <option value="layered">a layer per package (shared ones first)</option>
          <option value="single">one layer</option>
        </select>
      </Field>
      <Field label="Layer cap (whole image)" name="maxLayers" errors={errors}>
        <input {...bound('maxLayers', d.maxLayers, d.set, errors)} inputMode="numeric" placeholder="125" />
      </Field>
      <Field label="Environment variables (KEY=VALUE a line)" name="variables" errors={errors}>
        <textarea {...bound('variables', d.variables, d.set, errors)} rows={2} />
      </Field>
      <Field label="Entrypoint (JSON array or words; empty keeps the base's)" name="entrypoint" errors={errors}><input {...bound('entrypoint', d.entrypoint, d.set, errors)} /></Field>
      <Field label="Command (JSON array or words; empty keeps the base's)" name="cmd" errors={errors}><input {...bound('cmd', d.cmd, d.set, errors)} /></Field>
      <Field label="Labels (KEY=VALUE a line)" name="labels" errors={errors}><textarea {...bound('labels', d.labels, d.set, errors)} rows={2} /></Field>
      <Field label="Output name:tag" name="tag" errors={errors}><input {...bound('tag', d.tag, d.set, errors)} /></Field>
      <Field label="SOURCE_DATE_EPOCH (seconds)" name="epoch" errors={errors}>
        <input {...bound('epoch', d.epoch, d.set, errors)} inputMode="numeric" />
      </Field>
    </fieldset>
  );
}
