/**
 * The image config of an environment: the base's config is kept; PATH gets `<prefix>/bin` first and
 * CONDA_PREFIX is set; where packages ship activation scripts (`etc/conda/activate.d/*.sh`) and the base has a
 * shell, an entrypoint script (written into the last layer) sources them and then execs the command, in front
 * of the base's own entrypoint so `docker run IMAGE cmd` still works as it did.
 */
import type { ConfigFile } from '../oci';
import type { ConfigPatch, Image } from '../image';
import { CoreError } from '../errors';
import { readTar } from '../tar';

/** Where the entrypoint script lives, relative to the prefix. */
export const ENTRYPOINT_REL = '.docker-envs/entrypoint.sh';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SHELLS = ['bin/sh', 'usr/bin/sh', 'bin/bash', 'usr/bin/bash', 'bin/busybox'];

/** What environmentConfig needs to know. */
export interface EnvironmentConfigOptions {
  prefix: string;
  /** activation scripts in the environment, relative to the prefix (`etc/conda/activate.d/x.sh`) */
  activationScripts?: string[];
  /** the base's shell (absolute path), if it has one */
  shell?: string;
  /** labels describing the environment */
  labels?: Record<string, string>;
  /** variables the environment sets (environment.yml's `variables:`); PATH and CONDA_PREFIX are the environment's */
  variables?: Record<string, string>;
  /** the user's entrypoint instead of the base's (run after activation where there is any) */
  entrypoint?: string[];
  /** the user's command instead of the base's */
  cmd?: string[];
  /** the user's labels, under the environment's (whose org.conda.environment.* keys win) */
  userLabels?: Record<string, string>;
}

/** The config change and, when activation is needed, the entrypoint file to write (path relative to `/`). */
export interface EnvironmentConfig {
  patch: ConfigPatch;
  entrypoint?: { path: string; body: string };
}

/** The activation scripts among an environment's paths (relative to the prefix), sorted as conda sources them. */
export function activationScriptsIn(paths: Iterable<string>): string[] {
  return [...paths].filter((p) => /^etc\/conda\/activate\.d\/[^/]+\.sh$/.test(p)).sort();
}

/** The script that activates the environment and execs its arguments (the base's shell runs it). */
export function entrypointScript(prefix: string, shell: string): string {
  return [`#!${shell}`, '# docker-envs: activate the conda environment, then run the command', `CONDA_PREFIX='${prefix}'`, 'export CONDA_PREFIX',
    'for f in "$CONDA_PREFIX"/etc/conda/activate.d/*.sh; do', '  [ -f "$f" ] && . "$f"', 'done', 'unset f',
    `[ "$#" -gt 0 ] || set -- ${shell}`, 'exec "$@"', ''].join('\n');
}

/** The config of the environment image over the base's config. */
export function environmentConfig(base: ConfigFile, opts: EnvironmentConfigOptions): EnvironmentConfig {
  const prefix = opts.prefix.replace(/\/+$/, '');
  const path = base.config?.Env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const bin = `${prefix}/bin`;
  const labels = opts.userLabels || opts.labels ? { ...opts.userLabels, ...opts.labels } : undefined;
  const patch: ConfigPatch = {
    env: { ...opts.variables, PATH: [bin, ...path.split(':').filter((p) => p && p !== bin)].join(':'), CONDA_PREFIX: prefix },
    ...(labels ? { labels } : {}),
    ...(opts.entrypoint ? { entrypoint: opts.entrypoint } : {}),
    ...(opts.cmd ? { cmd: opts.cmd } : {}),
  };
  if (!opts.activationScripts?.length || !opts.shell) return { patch };
  const script = `${prefix}/${ENTRYPOINT_REL}`;
  const baseEntrypoint = opts.entrypoint ?? base.config?.Entrypoint ?? [];
  // a base whose entrypoint is already this script (an environment image rebuilt on itself) keeps one copy
  patch.entrypoint = [script, ...baseEntrypoint.filter((a, i) => !(i === 0 && a === script))];
  // Docker drops the base's Cmd when the entrypoint changes unless it is set again
  patch.cmd = opts.cmd ?? base.config?.Cmd ?? null;
  return { patch, entrypoint: { path: script.slice(1), body: entrypointScript(prefix, opts.shell) } };
}

/**
 * An entrypoint or command as typed: a JSON array (`["python", "-m", "http.server"]`, Dockerfile's exec form)
 * or words split on whitespace; '' is none (undefined). Anything else that starts with `[` is a CoreError.
 */
export function parseCommand(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (!t.startsWith('[')) return t.split(/\s+/);
  let v: unknown;
  try { v = JSON.parse(t); } catch { v = undefined; }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
    throw new CoreError('invalid-argument', `${t} is not a JSON array of strings (like ["python", "-m", "http.server"])`);
  }
  return v as string[];
}

/** `KEY=VALUE` labels (one each) as a record; an item without `=` or with an empty key is a CoreError. */
export function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CoreError('invalid-argument', `label "${item}" is not KEY=VALUE`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1);
  }
  return out;
}

/** The first shell the base image has (`/bin/sh`, …), files or links, honouring whiteouts; undefined for none. */
export async function findShell(image: Image): Promise<string | undefined> {
  const present = new Set<string>();
  for (const layer of await image.layers()) {
    for await (const { entry } of readTar(layer.uncompressed())) {
      const p = entry.name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      const wh = p.match(/^(.*\/)?\.wh\.([^/]+)$/);
      if (wh) { for (const s of SHELLS) if (s === `${wh[1] ?? ''}${wh[2]}` || s.startsWith(`${wh[1] ?? ''}${wh[2]}/`)) present.delete(s); continue; }
      if (SHELLS.includes(p) && entry.type !== 'directory') present.add(p);
    }
  }
  const found = SHELLS.find((s) => present.has(s) && s !== 'bin/busybox');
  return found ? `/${found}` : undefined;
}
