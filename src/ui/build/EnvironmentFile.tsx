/**
 * environment.yml in and out of the draft (channels, dependencies, the pip list, variables; the core's one
 * reader and writer, as the CLI's `--file`), and a pasted explicit lock, which a build installs as is instead
 * of solving.
 */
import { useState } from 'react';
import { readEnvironmentYaml, writeEnvironmentYaml } from '../../core/conda/environment-file';
import { useBuildDraft } from '../../state/build-draft';
import { draftSpecs, lines, parseVariables, type DraftErrors } from '../../state/draft-check';

/** `KEY=VALUE` lines of a variables record. */
const variableLines = (v: Record<string, string>) => Object.entries(v).map(([k, x]) => `${k}=${x}`).join('\n');

/** Import, export, and the lock field. */
export function EnvironmentFile({ errors }: { errors: DraftErrors }) {
  const d = useBuildDraft();
  const [note, setNote] = useState<{ error: boolean; text: string }>();

  async function importFile(file: File) {
    try {
      const env = readEnvironmentYaml(await file.text());
      d.replaceLists(env.channels.length ? env.channels : ['conda-forge'], env.dependencies);
      d.set({ variables: variableLines(env.variables), pip: env.pip.join('\n') });
      setNote({ error: false, text: `Imported ${file.name}${env.warnings.length ? `: ${env.warnings.join('; ')}` : ''}` });
    } catch (e) {
      setNote({ error: true, text: (e as Error).message });
    }
  }

  function exportFile() {
    let variables: Record<string, string> = {};
    try { variables = parseVariables(d.variables); } catch { /* flagged on its field; exported without */ }
    const text = writeEnvironmentYaml({ channels: d.channels.map((c) => c.value.trim()), dependencies: draftSpecs(d), pip: lines(d.pip), variables });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/x-yaml' }));
    a.download = 'environment.yml';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  }

  return (
    <fieldset className="rows" data-testid="environment-file">
      <legend>environment.yml and lock</legend>
      <label className="button">
        Import environment.yml…
        <input type="file" className="visually-hidden" data-testid="env-import" accept=".yml,.yaml" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importFile(f); e.target.value = ''; }} />
      </label>{' '}
      <button type="button" data-testid="env-export" onClick={exportFile}>Export environment.yml</button>
      {note && <p className={note.error ? 'field-error' : 'muted'} data-testid="env-note">{note.text}</p>}
      <div className="field">
        <label htmlFor="cfg-lock">Explicit lock (paste one to install exactly it; the packages above are then ignored)</label>
        <textarea id="cfg-lock" data-testid="cfg-lock" rows={3} value={d.lock} spellCheck={false} onChange={(e) => d.set({ lock: e.target.value })}
          placeholder="@EXPLICIT&#10;https://conda.anaconda.org/conda-forge/linux-64/…conda#sha256" aria-invalid={errors.lock ? true : undefined} />
        {errors.lock && <p className="field-error" data-testid="lock-error">{errors.lock}</p>}
      </div>
    </fieldset>
  );
}
