/**
 * Typed guards for the OCI / Docker JSON documents, called where a reader parses them: a document of
 * the wrong shape (a `history` that is not a list, a null descriptor, a `created_by` that is a number, a
 * media type that is not a string...) fails here with a CoreError naming the field, instead of a
 * TypeError somewhere deeper. Fields the code never reads are left as they are. A manifest or config of
 * more layers than MAX_IMAGE_LAYERS is CoreError 'too-many-layers', whatever error the caller passes.
 */
import { CoreError, type ErrorCode } from '../errors';
import { checkLayerCount } from './limits';
import type { ConfigFile, Descriptor, Index, Manifest } from './types';

/** Makes the error a guard throws; readers pass their own code (an archive reader: 'archive-invalid'). */
export type GuardFail = (message: string) => Error;

const defaultFail = (code: ErrorCode): GuardFail => (message) => new CoreError(code, message);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function optString(o: Obj, key: string, where: string, fail: GuardFail): void {
  if (o[key] !== undefined && typeof o[key] !== 'string') fail0(fail, `${where}: "${key}" is ${describe(o[key])}, not a string`);
}

function optStringList(o: Obj, key: string, where: string, fail: GuardFail, nullable = false): void {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail0(fail, `${where}: "${key}" is not a list of strings`);
}

function optStringMap(o: Obj, key: string, where: string, fail: GuardFail, nullable = false): void {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return;
  if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) fail0(fail, `${where}: "${key}" is not a map of strings`);
}

function fail0(fail: GuardFail, message: string): never {
  throw fail(message);
}

/** A short description of a value for messages (its type, never its whole text). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Checks a content descriptor: a string media type, a well-formed digest, a size that is a byte count. */
export function checkDescriptor(v: unknown, where: string, fail: GuardFail = defaultFail('invalid-image')): Descriptor {
  if (!isObj(v)) fail0(fail, `${where}: the descriptor is ${describe(v)}, not an object`);
  if (typeof v.mediaType !== 'string') fail0(fail, `${where}: the descriptor's mediaType is ${describe(v.mediaType)}, not a string`);
  if (typeof v.digest !== 'string' || !DIGEST.test(v.digest)) fail0(fail, `${where}: the descriptor's digest ${describe(v.digest)} is not a digest`);
  if (v.size !== undefined && !(Number.isSafeInteger(v.size) && (v.size as number) >= 0)) {
    fail0(fail, `${where}: the descriptor's size ${describe(v.size)} is not a byte count`);
  }
  optStringList(v, 'urls', where, fail);
  optStringMap(v, 'annotations', where, fail);
  optString(v, 'artifactType', where, fail);
  if (v.platform !== undefined) {
    const p = v.platform;
    if (!isObj(p) || typeof p.os !== 'string' || typeof p.architecture !== 'string') fail0(fail, `${where}: the descriptor's platform has no os and architecture strings`);
    optString(p, 'variant', where, fail);
    optString(p, 'os.version', where, fail);
    optStringList(p, 'os.features', where, fail);
  }
  return v as unknown as Descriptor;
}

/**
 * Checks an image index / manifest list. `"manifests": null` (Docker 25 saves by image ID) reads as
 * an empty list with `wasNull` set; every entry must be a descriptor.
 */
export function checkIndex(v: unknown, where: string, fail: GuardFail = defaultFail('invalid-image')): { index: Index; wasNull: boolean } {
  if (!isObj(v)) fail0(fail, `${where} is ${describe(v)}, not a JSON object`);
  optString(v, 'mediaType', where, fail);
  if (v.manifests === null || v.manifests === undefined) return { index: { ...v, manifests: [] } as unknown as Index, wasNull: true };
  if (!Array.isArray(v.manifests)) fail0(fail, `${where}: "manifests" is ${describe(v.manifests)}, not a list`);
  v.manifests.forEach((d, i) => checkDescriptor(d, `${where} manifests[${i}]`, fail));
  return { index: v as unknown as Index, wasNull: false };
}

/** Checks an image manifest: a config descriptor and a list of layer descriptors. */
export function checkManifest(v: unknown, where: string, fail: GuardFail = defaultFail('invalid-image')): Manifest {
  if (!isObj(v)) fail0(fail, `${where} is ${describe(v)}, not a JSON object`);
  if (v.config === undefined || !Array.isArray(v.layers)) fail0(fail, `${where} has no config or layers`);
  checkLayerCount(v.layers.length, where); // before each of them is checked
  optString(v, 'mediaType', where, fail);
  optString(v, 'artifactType', where, fail);
  checkDescriptor(v.config, `${where} config`, fail);
  (v.layers as unknown[]).forEach((d, i) => checkDescriptor(d, `${where} layers[${i}]`, fail));
  return v as unknown as Manifest;
}

/**
 * Checks an image config: rootfs.diff_ids a list of sha256 digests (the caller checks them against
 * its layers), history a list of objects with string fields, platform fields and the runtime config's
 * fields of the types the image-spec gives them.
 */
export function checkConfig(v: unknown, where: string, fail: GuardFail = defaultFail('invalid-image')): ConfigFile {
  if (!isObj(v)) fail0(fail, `${where} is ${describe(v)}, not a JSON object`);
  const rootfs = v.rootfs;
  if (isObj(rootfs) && Array.isArray(rootfs.diff_ids)) checkLayerCount(rootfs.diff_ids.length, `${where} (rootfs.diff_ids)`);
  if (!isObj(rootfs) || !Array.isArray(rootfs.diff_ids) || rootfs.diff_ids.some((d) => typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d))) {
    fail0(fail, `${where} has no valid rootfs.diff_ids: it is not a container image config`);
  }
  for (const k of ['architecture', 'os', 'variant', 'os.version', 'created', 'author']) optString(v, k, where, fail);
  if (v.history !== undefined && v.history !== null) {
    if (!Array.isArray(v.history)) fail0(fail, `${where}: "history" is ${describe(v.history)}, not a list`);
    v.history.forEach((h, i) => {
      const at = `${where} history[${i}]`;
      if (!isObj(h)) fail0(fail, `${at} is ${describe(h)}, not an object`);
      for (const k of ['created', 'created_by', 'author', 'comment']) optString(h, k, at, fail);
      if (h.empty_layer !== undefined && typeof h.empty_layer !== 'boolean') fail0(fail, `${at}: "empty_layer" is ${describe(h.empty_layer)}, not true or false`);
    });
  }
  const c = v.config;
  if (c !== undefined && c !== null) {
    const at = `${where} config`;
    if (!isObj(c)) fail0(fail, `${at} is ${describe(c)}, not an object`);
    for (const k of ['User', 'WorkingDir', 'StopSignal']) optString(c, k, at, fail);
    optStringList(c, 'Env', at, fail, true);
    optStringList(c, 'Entrypoint', at, fail, true);
    optStringList(c, 'Cmd', at, fail, true);
    optStringMap(c, 'Labels', at, fail, true);
    for (const k of ['ExposedPorts', 'Volumes']) if (c[k] !== undefined && c[k] !== null && !isObj(c[k])) fail0(fail, `${at}: "${k}" is ${describe(c[k])}, not an object`);
  }
  return v as unknown as ConfigFile;
}
