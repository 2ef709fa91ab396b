/** Match specs as users write them, parsed far enough for what the project must do itself. */
import { CoreError } from '../errors';

/** A spec split into an optional channel and the rest (`conda-forge::numpy>=2` → channel + `numpy>=2`). */
export interface ParsedSpec {
  channel?: string;
  /** the spec without its channel, as the solver takes it */
  spec: string;
  /** the package name */
  name: string;
}

/**
 * Splits off a `channel::` or `channel/subdir::` qualifier (the solver must never see it: the wasm build panics
 * on it and never settles) and checks the name.
 */
export function parseSpec(input: string): ParsedSpec {
  const s = input.trim();
  const i = s.indexOf('::');
  const channel = i >= 0 ? s.slice(0, i).replace(/\/(noarch|linux-64|linux-aarch64|osx-64|osx-arm64|win-64)$/, '') : undefined;
  const spec = (i >= 0 ? s.slice(i + 2) : s).trim();
  const name = spec.match(/^([A-Za-z0-9_][A-Za-z0-9_.-]*)/)?.[1];
  if (!name || (i >= 0 && !channel)) throw new CoreError('invalid-argument', `"${input}" is not a package spec (like numpy, numpy>=2, conda-forge::numpy=2.1)`);
  if (spec.includes('::')) throw new CoreError('invalid-argument', `"${input}" names more than one channel`);
  return { ...(channel ? { channel } : {}), spec, name: name.toLowerCase() };
}
