import type { Digest } from '../digest';
import { CoreError } from '../errors';
import type { ConfigFile, ContainerConfig, History, Platform } from '../oci';
import { assembleImage } from './image';
import type { Image, Layer } from './types';

/** A layer to append, with the history entry describing it. */
export interface Addendum {
  layer: Layer;
  /** defaults: created = the config's `created`; no created_by/comment */
  history?: Pick<History, 'created_by' | 'comment' | 'created' | 'author'>;
}

/** A deep copy of a config (configs are small JSON). */
function cloneConfig(c: ConfigFile): ConfigFile {
  return structuredClone(c);
}

/** A derived image whose config is `f(base config, base layers)` and layers `layers(base layers)`. */
function derive(
  base: Image,
  layers: (baseLayers: Layer[]) => Promise<Layer[]>,
  config: (baseConfig: ConfigFile) => Promise<ConfigFile>,
): Image {
  return assembleImage({
    layers: async () => layers(await base.layers()),
    config: async () => config(cloneConfig(await base.config())),
  });
}

/**
 * A new image with `adds` on top of `image`'s layers (the input is unchanged). Each layer's
 * diffId is read only when the config is first asked for, so a streamed layer is read once.
 * History: one entry per added layer; when the base has layers but no history, `{}` entries
 * are written for them first so that history and layers keep matching.
 */
export function appendLayers(image: Image, adds: Addendum[]): Image {
  return derive(image, async (ls) => [...ls, ...adds.map((a) => a.layer)], async (cfg) => {
    const diffIds: Digest[] = [];
    for (const a of adds) diffIds.push(await a.layer.diffId());
    const baseCount = cfg.rootfs.diff_ids.length;
    cfg.rootfs = { type: 'layers', diff_ids: [...cfg.rootfs.diff_ids, ...diffIds] };
    const wantsHistory = cfg.history !== undefined || baseCount === 0 || adds.some((a) => a.history);
    if (wantsHistory) {
      const history = cfg.history ?? Array.from({ length: baseCount }, () => ({}));
      for (const a of adds) {
        const h: History = { created: a.history?.created ?? cfg.created, created_by: a.history?.created_by, author: a.history?.author, comment: a.history?.comment };
        history.push(Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as History);
      }
      cfg.history = history;
    }
    return cfg;
  });
}

/**
 * A new image without its top layer, its diff_id and its history entry (the last entry that is
 * not `empty_layer`). `empty_layer` entries stay, those above the removed layer included: they
 * record config changes (ENV, CMD...) that the config still carries.
 * Throws 'invalid-argument' when the image has no layer.
 */
export function removeTopLayer(image: Image): Image {
  return derive(image, async (ls) => {
    if (ls.length === 0) throw new CoreError('invalid-argument', 'cannot remove the top layer of an image that has no layers');
    return ls.slice(0, -1);
  }, async (cfg) => {
    const ids = cfg.rootfs.diff_ids;
    if (ids.length === 0) throw new CoreError('invalid-argument', 'cannot remove the top layer of an image that has no layers');
    cfg.rootfs = { type: 'layers', diff_ids: ids.slice(0, -1) };
    if (cfg.history) {
      const i = cfg.history.findLastIndex((h) => !h.empty_layer);
      if (i >= 0) cfg.history = [...cfg.history.slice(0, i), ...cfg.history.slice(i + 1)];
    }
    return cfg;
  });
}

/** Changes to an image's runtime config. `null` deletes; absent leaves as is. */
export interface ConfigPatch {
  /** merged by variable name: a record (null deletes the variable) or `NAME=value` strings */
  env?: Record<string, string | null> | string[];
  /** replaces the entrypoint (null removes it); CMD is left as is */
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  user?: string | null;
  workdir?: string | null;
  /** merged by key; null deletes a label */
  labels?: Record<string, string | null>;
  /** added ("8080/tcp", "53/udp"; a bare number means tcp); a record with null removes ports */
  exposedPorts?: string[] | Record<string, object | null>;
  /** sets os/architecture/variant (and os.version/os.features when given) */
  platform?: Platform;
}

/** A new image whose config has `patch` applied (layers unchanged). Throws 'invalid-argument' at once for a bad patch. */
export function setConfig(image: Image, patch: ConfigPatch): Image {
  // check the patch now (bad names, ports), so the caller gets the error here, not later
  applyPatch({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] } }, patch);
  return derive(image, async (ls) => ls, async (cfg) => applyPatch(cfg, patch));
}

/** A new image whose config `created` is `iso` (ISO 8601, e.g. from SOURCE_DATE_EPOCH). */
export function setCreated(image: Image, iso: string): Image {
  if (Number.isNaN(Date.parse(iso))) throw new CoreError('invalid-argument', `setCreated: ${JSON.stringify(iso)} is not an ISO 8601 date`);
  return derive(image, async (ls) => ls, async (cfg) => ({ ...cfg, created: iso }));
}

/** Applies a ConfigPatch to a config (mutates and returns `cfg`). */
export function applyPatch(cfg: ConfigFile, patch: ConfigPatch): ConfigFile {
  const c: ContainerConfig = cfg.config ?? {};
  if (patch.env !== undefined) {
    const env = new Map<string, string>();
    for (const kv of c.Env ?? []) { const i = kv.indexOf('='); env.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1)); }
    const changes: Array<[string, string | null]> = Array.isArray(patch.env)
      ? patch.env.map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; })
      : Object.entries(patch.env);
    for (const [k, v] of changes) {
      if (!k || k.includes('=')) throw new CoreError('invalid-argument', `invalid environment variable name ${JSON.stringify(k)}`);
      if (v === null) env.delete(k); else env.set(k, v);
    }
    c.Env = [...env].map(([k, v]) => `${k}=${v}`);
  }
  if (patch.entrypoint !== undefined) setOrDelete(c, 'Entrypoint', patch.entrypoint);
  if (patch.cmd !== undefined) setOrDelete(c, 'Cmd', patch.cmd);
  if (patch.user !== undefined) setOrDelete(c, 'User', patch.user);
  if (patch.workdir !== undefined) setOrDelete(c, 'WorkingDir', patch.workdir);
  if (patch.labels !== undefined) {
    const labels = { ...(c.Labels ?? {}) };
    for (const [k, v] of Object.entries(patch.labels)) { if (v === null) delete labels[k]; else labels[k] = v; }
    setOrDelete(c, 'Labels', Object.keys(labels).length ? labels : null);
  }
  if (patch.exposedPorts !== undefined) {
    const ports: Record<string, object> = { ...(c.ExposedPorts ?? {}) };
    const entries: Array<[string, object | null]> = Array.isArray(patch.exposedPorts)
      ? patch.exposedPorts.map((p) => [p, {}]) : Object.entries(patch.exposedPorts);
    for (const [p, v] of entries) {
      const key = /^\d+$/.test(p) ? `${p}/tcp` : p;
      if (!/^\d+\/(tcp|udp|sctp)$/.test(key)) throw new CoreError('invalid-argument', `invalid exposed port ${JSON.stringify(p)} (expected e.g. "8080/tcp")`);
      if (v === null) delete ports[key]; else ports[key] = {};
    }
    setOrDelete(c, 'ExposedPorts', Object.keys(ports).length ? ports : null);
  }
  if (patch.platform) {
    const p = patch.platform;
    cfg.os = p.os;
    cfg.architecture = p.architecture;
    for (const k of ['variant', 'os.version', 'os.features'] as const) {
      if (p[k] !== undefined) (cfg as Record<string, unknown>)[k] = p[k]; else delete cfg[k];
    }
  }
  cfg.config = c;
  return cfg;
}

function setOrDelete<K extends keyof ContainerConfig>(c: ContainerConfig, k: K, v: ContainerConfig[K] | null): void {
  if (v === null) delete c[k]; else c[k] = v;
}
