/**
 * The wheel tags a CPython environment accepts, best first, in the order pip (packaging's `sys_tags`) ranks
 * them: the interpreter's own ABI, abi3, no ABI, older abi3, then the pure `py3*` tags. The platforms come
 * from the base's glibc (manylinux_2_Z down to the oldest manylinux, with the legacy aliases where they fall),
 * never musllinux on a glibc base; a base without glibc gets pure wheels only.
 */
import { CoreError } from '../errors';
import type { WheelTag } from './wheel';

/** What decides the tags: the environment's python X.Y, the base's glibc X.Y (none for musl) and its arch. */
export interface TagTarget {
  /** `3.11` */
  readonly python: string;
  /** `2.36`; undefined when the base has no glibc */
  readonly glibc?: string;
  /** the machine as Python names it: x86_64, aarch64, i686, ppc64le, s390x, armv7l */
  readonly arch: string;
}

const LEGACY: Record<string, string> = { '2.17': 'manylinux2014', '2.12': 'manylinux2010', '2.5': 'manylinux1' };

/** The manylinux platforms for a glibc, newest first (packaging's _manylinux.platform_tags), then `linux_<arch>`. */
export function linuxPlatforms(glibc: string | undefined, arch: string): string[] {
  if (glibc === undefined) return [];
  const m = /^2\.(\d+)/.exec(glibc);
  if (!m) throw new CoreError('invalid-argument', `glibc version "${glibc}" is not 2.N`);
  // packaging: x86_64 and i686 reach back to manylinux1 (2.5); the other arches start at 2.17
  const oldest = arch === 'x86_64' || arch === 'i686' ? 5 : 17;
  const out: string[] = [];
  for (let minor = Number(m[1]); minor >= oldest; minor--) {
    out.push(`manylinux_2_${minor}_${arch}`);
    const legacy = LEGACY[`2.${minor}`];
    if (legacy) out.push(`${legacy}_${arch}`);
  }
  out.push(`linux_${arch}`);
  return out;
}

/** Every tag the environment accepts, best first: packaging's cpython_tags followed by compatible_tags. */
export function cpythonTags(target: TagTarget): WheelTag[] {
  const m = /^3\.(\d+)$/.exec(target.python);
  if (!m) throw new CoreError('invalid-argument', `python version "${target.python}" is not 3.N`);
  const minor = Number(m[1]);
  const platforms = linuxPlatforms(target.glibc, target.arch);
  const cp = `cp3${minor}`;
  const tags: WheelTag[] = [];
  const add = (python: string, abi: string, platform: string) => tags.push({ python, abi, platform });
  for (const abi of [cp, 'abi3', 'none']) for (const p of platforms) add(cp, abi, p);
  for (let v = minor - 1; v >= 2; v--) for (const p of platforms) add(`cp3${v}`, 'abi3', p);
  // compatible_tags: py3Y, py3, py3(Y-1)…py30 on each platform, the interpreter on any, then each on any
  const pys = [`py3${minor}`, 'py3', ...Array.from({ length: minor }, (_, i) => `py3${minor - 1 - i}`)];
  for (const py of pys) for (const p of platforms) add(py, 'none', p);
  add(cp, 'none', 'any');
  for (const py of pys) add(py, 'none', 'any');
  return tags;
}
