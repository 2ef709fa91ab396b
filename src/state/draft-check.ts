/**
 * Checks a build draft before anything is fetched: each malformed spec, channel, reference or number is
 * flagged on its own field with the core parser's message. A draft without errors can be solved and built.
 */
import { parseCommand, parseLabels } from '../core/pipeline/config';
import { resolveChannel } from '../core/conda/channel';
import { readExplicitLock } from '../core/conda/explicit-lock';
import { parseReference } from '../core/registry/reference';
import { parseSpec } from '../core/solver/spec';
import { parsePlatformList } from '../core/pipeline/multi-platform';
import { readPipSection } from '../core/pipeline/pip-layer';
import { draftPlatforms, type BuildDraft } from './build-draft';

/** Errors by field: `base`, `tag`, `prefix`, `epoch`, `maxLayers`, `variables`, `entrypoint`, `cmd`, `labels`, `lock`, `specs`, `pip`, `channel:<id>`, `spec:<id>`. */
export type DraftErrors = Record<string, string>;

const messageOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

/** `KEY=VALUE` lines (blank lines skipped) as a record; a line without `=` or with a bad name throws. */
export function parseVariables(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`line ${i + 1}: "${line}" is not KEY=VALUE`);
    out[key] = line.slice(eq + 1);
  }
  return out;
}

/** Every problem of the draft, by field (empty when it can be built). */
export function checkDraft(d: BuildDraft): DraftErrors {
  const errors: DraftErrors = {};
  const put = (field: string, message: string | undefined) => { if (message) errors[field] = message; };
  if (d.base.kind === 'ref') put('base', messageOf(() => parseReference(d.base.kind === 'ref' ? d.base.ref : '')));
  put('tag', messageOf(() => {
    const r = parseReference(d.tag);
    if (r.digest) throw new Error('the output name takes a tag, not a digest');
  }));
  if (!/^\/[^\0\s]*$/.test(d.prefix) || d.prefix.split('/').includes('..')) put('prefix', 'the prefix must be an absolute path without spaces or ".."');
  if (!/^\d+$/.test(d.epoch.trim())) put('epoch', 'SOURCE_DATE_EPOCH is whole seconds since 1970 (0 or more)');
  if (d.maxLayers.trim() && !(/^\d+$/.test(d.maxLayers.trim()) && Number(d.maxLayers) >= 2)) put('maxLayers', 'the layer cap is a whole number, 2 or more');
  put('variables', messageOf(() => parseVariables(d.variables)));
  put('entrypoint', messageOf(() => parseCommand(d.entrypoint)));
  put('cmd', messageOf(() => parseCommand(d.cmd)));
  put('labels', messageOf(() => parseLabels(lines(d.labels))));
  const platforms = draftPlatforms(d);
  put('platform', messageOf(() => parsePlatformList(d.platform)));
  if (platforms.length > 1 && d.base.kind === 'file') put('platform', 'a multi-platform build takes its base from a registry reference (one manifest per platform): type one, or build one platform');
  else if (platforms.length > 1 && d.lock.trim()) put('platform', 'a pasted lock holds one platform\'s packages: build one platform with it, or remove it');
  if (d.channels.length === 0) put('channels', 'add at least one channel');
  for (const c of d.channels) put(`channel:${c.id}`, messageOf(() => resolveChannel(c.value)));
  const specs = d.specs.filter((s) => s.value.trim());
  if (d.lock.trim()) {
    put('lock', messageOf(() => {
      if (readExplicitLock(d.lock).length === 0) throw new Error('the lock lists no packages');
    }));
  } else if (specs.length === 0 && !d.shared) {
    put('specs', 'add at least one package (or paste a lock)');
  }
  for (const s of specs) put(`spec:${s.id}`, messageOf(() => parseSpec(s.value)));
  // read as the build worker reads it: no folder for local wheels (the browser reads no local files)
  put('pip', messageOf(() => readPipSection(lines(d.pip))));
  return errors;
}

/** The lines of a text field that are not blank, trimmed. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** The specs of the draft that are not blank, trimmed. */
export function draftSpecs(d: Pick<BuildDraft, 'specs'>): string[] {
  return d.specs.map((s) => s.value.trim()).filter(Boolean);
}
