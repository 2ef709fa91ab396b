/**
 * The pip step of a build: the environment.yml `pip:` list resolved against its indexes for the environment's
 * python and the base's glibc, each wheel streamed into the blob store checked against the index's sha256 (a
 * rebuild takes it from there), and installed as pip does into one layer after the conda layers.
 */
import type { BlobStore } from '../cache';
import { fetchPackages } from '../conda/fetch';
import { withParents } from '../conda/install';
import { digestHex, digestStream } from '../digest';
import { CoreError } from '../errors';
import { readWheelMetadata, type IndexFetch, type IndexFile } from '../pip/index-client';
import { indexSource } from '../pip/index-source';
import type { InstalledDistribution } from '../pip/installed';
import { parseRequirement, type Requirement } from '../pip/requirement';
import { resolvePip, type Pin, type ResolverSource } from '../pip/resolver';
import { cpythonTags } from '../pip/tags';
import { formatVersion, type Version } from '../pip/version';
import { parseWheelName } from '../pip/wheel';
import { installWheel } from '../pip/wheel-install';
import type { TarWriteEntry } from '../tar';

/** The `pip:` list read as pip reads a requirements file: requirements and index options. */
export interface PipSection {
  /** the requirements, without their `--hash` options */
  readonly requirements: readonly string[];
  /** `--index-url` (default PyPI) first, then each `--extra-index-url` */
  readonly indexUrls: readonly string[];
  /**
   * hash-checking mode (pip's, on as soon as one requirement has `--hash`): the sha256 digests (hex) each
   * requirement allows, by normalised project name; absent when no requirement has a hash
   */
  readonly hashes?: Readonly<Record<string, readonly string[]>>;
  /** local wheel files named in the list, as absolute URLs (file:// in the CLI), in the order given */
  readonly wheels?: readonly string[];
}

/** The public index pip uses by default. */
export const DEFAULT_INDEX_URL = 'https://pypi.org/simple/';

/** Where the section's relative paths start: the URL of the environment.yml's folder, ending in `/`. */
export interface PipSectionOptions { readonly base?: string }

const SDIST = /\.(tar\.gz|tgz|tar\.bz2|tar\.xz|tar|zip)$/i;

/**
 * Splits the `pip:` items into requirements, local wheels and index URLs. A path ending in `.whl` is a local
 * wheel, relative to `base`; directories, sdists, URLs, VCS sources and editable installs are errors naming
 * the item.
 */
export function readPipSection(items: readonly string[], opts: PipSectionOptions = {}): PipSection {
  let index = DEFAULT_INDEX_URL;
  const extra: string[] = [];
  const requirements: string[] = [];
  const wheels: string[] = [];
  const hashes: Record<string, string[]> = {};
  for (const raw of items) {
    let item = raw.trim();
    const refuse = (why: string): never => { throw new CoreError('requirement-invalid', `pip item "${raw.trim()}": ${why}`); };
    // `--hash=sha256:<hex>` options after a requirement (pip's hash-checking mode)
    const given: string[] = [];
    item = item.replace(/\s+--hash(?:\s*=\s*|\s+)(\S+)/g, (_, h: string) => {
      const m = /^sha256:([0-9a-fA-F]{64})$/.exec(h);
      if (!m) refuse(`--hash=${h} is not sha256:<64 hex digits> (the only hash checked)`);
      given.push(m![1]!.toLowerCase());
      return '';
    }).trim();
    const opt = /^(--index-url|-i|--extra-index-url)(?:\s*=\s*|\s+)(\S+)$/.exec(item);
    if (opt) { if (opt[1] === '--extra-index-url') extra.push(opt[2]!); else index = opt[2]!; continue; }
    if (/^(-e|--editable)\b/.test(item)) refuse('editable installs (-e) are not supported: name a wheel on an index, or a local .whl file');
    if (item.startsWith('-')) refuse('only requirements, local .whl files, --index-url, --extra-index-url and --hash are supported');
    if (/^(git|hg|svn|bzr)\+/.test(item)) refuse('VCS sources are not installed (wheels only: nothing is built)');
    if (/^\w+:\/\//.test(item) || / @ /.test(item)) refuse('URLs are not installed: name a version on an index, or a local .whl file');
    if (/^[./~]/.test(item) || item.includes('/') || /\.whl$/i.test(item) || SDIST.test(item)) {
      if (SDIST.test(item)) refuse('sdists are not built (wheels only)');
      if (!/\.whl$/i.test(item)) refuse('directories (a project to build) are not installed (wheels only)');
      const name = parseWheelName(item.split('/').pop()!);
      if (!name) refuse('is not a wheel file name ({name}-{version}-{python}-{abi}-{platform}.whl)');
      if (!opts.base) refuse('a local wheel is read relative to the environment.yml, and there is none here');
      wheels.push(new URL(item, opts.base).href);
      if (given.length) hashes[name!.name] = [...new Set([...(hashes[name!.name] ?? []), ...given])];
      continue;
    }
    if (given.length) {
      const key = parseRequirement(item).key;
      hashes[key] = [...new Set([...(hashes[key] ?? []), ...given])];
    }
    requirements.push(item);
  }
  return { requirements, indexUrls: [index, ...extra], ...(Object.keys(hashes).length ? { hashes } : {}), ...(wheels.length ? { wheels } : {}) };
}

/** What the pip step needs of the environment. */
export interface PipStepOptions {
  readonly prefix: string;
  readonly epoch: number;
  /** the full version of the environment's python (3.11.2) */
  readonly python: string;
  /** the base's glibc X.Y, undefined without glibc (pure wheels only) */
  readonly glibc?: string;
  /** the image's architecture as the OCI config names it (amd64, arm64…) */
  readonly architecture: string;
  readonly fetch: IndexFetch;
  /** where wheels are kept by sha256 between builds (the conda packages' store) */
  readonly store: BlobStore;
  /** reads a local wheel named in the section (its absolute URL); without it local wheels are an error */
  readonly openLocal?: (url: string) => Promise<Blob>;
  /** distributions conda installs, by key: not installed again; a requirement they fail is an error naming both */
  readonly installed?: ReadonlyMap<string, InstalledDistribution>;
  readonly warn?: (message: string) => void;
}

const MACHINE: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', '386': 'i686', ppc64le: 'ppc64le', s390x: 's390x', arm: 'armv7l' };

/** Resolves and installs the pip section: the pins, and the layer's tar entries (file bodies stream from the wheels). */
export async function pipStep(section: PipSection, o: PipStepOptions): Promise<{ pins: Pin[]; entries: TarWriteEntry[] }> {
  const xy = o.python.split('.').slice(0, 2).join('.');
  const machine = MACHINE[o.architecture];
  if (!machine) throw new CoreError('invalid-argument', `pip packages cannot be installed for the architecture ${o.architecture}`);
  const markers = {
    python_version: xy, python_full_version: o.python, os_name: 'posix', sys_platform: 'linux', platform_system: 'Linux',
    platform_machine: machine, platform_python_implementation: 'CPython', implementation_name: 'cpython',
    implementation_version: o.python, platform_release: '', platform_version: '',
  };
  const tags = cpythonTags({ python: xy, arch: machine, ...(o.glibc ? { glibc: o.glibc.split('.').slice(0, 2).join('.') } : {}) });
  const index = indexSource(o.fetch, section.indexUrls, o.warn);
  const local = await localWheels(section.wheels ?? [], o.openLocal);
  // a project given as a local wheel is that wheel alone; the index is asked for the others
  const source: ResolverSource = {
    files: (key) => { const l = local.get(key); return l ? Promise.resolve([l.file]) : index.files(key); },
    metadata: (file) => { const l = local.get(canonicalWheelKey(file.filename)); return l?.file.url === file.url ? readWheelMetadata(l.blob, file.filename) : index.metadata(file); },
  };
  const requirements = [
    ...section.requirements.map((r) => parseRequirement(r)),
    ...[...local.values()].map((l) => ({ ...parseRequirement(`${l.key}==${formatVersion(l.version)}`), text: l.file.filename })),
  ];
  if (section.hashes) checkHashedRequirements(requirements, section.hashes);
  const pins = await resolvePip(requirements, { markers, python: o.python, tags }, source, {
    ...(o.warn ? { warn: o.warn } : {}), ...(o.installed ? { installed: o.installed } : {}), ...(section.hashes ? { allowedHashes: section.hashes } : {}),
  });
  if (section.hashes) {
    const unlisted = pins.filter((p) => !section.hashes![p.key]).map((p) => `${p.key}==${formatVersion(p.version)}${p.requested ? '' : ' (a dependency)'}`);
    if (unlisted.length) throw new CoreError('requirement-invalid', `hash-checking mode: every distribution needs a --hash, and these have none: ${unlisted.join(', ')}`);
  }
  const entries: TarWriteEntry[] = [];
  for (const pin of pins) {
    const wheel = await downloadWheel(o.fetch, o.store, pin, section.hashes?.[pin.key], local.get(pin.key)?.blob);
    const installed = await installWheel(wheel, pin.file.filename, { prefix: o.prefix, pythonVersion: xy, epoch: o.epoch, requested: pin.requested });
    entries.push(...installed.entries);
  }
  return { pins, entries: withParents(entries, o.epoch) };
}

interface LocalWheel { readonly key: string; readonly version: Version; readonly file: IndexFile; readonly blob: Blob }

const canonicalWheelKey = (filename: string) => parseWheelName(filename)?.name ?? '';

/** The local wheels, read once each (their sha256 stands where an index would give one), by project. */
async function localWheels(urls: readonly string[], open: ((url: string) => Promise<Blob>) | undefined): Promise<Map<string, LocalWheel>> {
  const out = new Map<string, LocalWheel>();
  for (const url of urls) {
    const filename = decodeURIComponent(new URL(url).pathname.split('/').pop()!);
    const w = parseWheelName(filename);
    if (!w) throw new CoreError('requirement-invalid', `${url} is not a wheel file name`);
    if (!open) throw new CoreError('invalid-argument', `${filename}: local wheels cannot be read here (no local files)`);
    const prev = out.get(w.name);
    if (prev) throw new CoreError('requirement-invalid', `${filename} and ${prev.file.filename} are both local wheels of ${w.name}: give one`);
    const blob = await Promise.resolve().then(() => open(url)).catch((e: unknown) => {
      if (e instanceof CoreError) throw e;
      throw new CoreError('invalid-argument', `local wheel ${url}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
    });
    const sha256 = digestHex((await digestStream(blob.stream())).digest);
    out.set(w.name, { key: w.name, version: w.version, blob, file: { filename, url, hashes: { sha256 }, yanked: false, metadata: false } });
  }
  return out;
}

/**
 * pip's rules for hash-checking mode, before anything is resolved: every requirement has a hash and is pinned
 * with `==` (or `===`) to one version.
 */
export function checkHashedRequirements(requirements: readonly Requirement[], hashes: Readonly<Record<string, readonly string[]>>): void {
  const without = requirements.filter((r) => !hashes[r.key]).map((r) => r.text);
  if (without.length) throw new CoreError('requirement-invalid', `hash-checking mode (a requirement has --hash): every requirement needs one, and these have none: ${without.join(', ')}`);
  const loose = requirements.filter((r) => !(r.specifier.length === 1 && (r.specifier[0]!.op === '===' || (r.specifier[0]!.op === '==' && !r.specifier[0]!.wildcard)))).map((r) => r.text);
  if (loose.length) throw new CoreError('requirement-invalid', `hash-checking mode: every requirement must be pinned with ==, and these are not: ${loose.join(', ')}`);
}

/**
 * The wheel's bytes, checked against the sha256 the index gives (a wheel without one is refused unless one
 * hash-checking digest names it), and in hash-checking mode against the digests the requirement allows.
 */
async function downloadWheel(doFetch: IndexFetch, store: BlobStore, pin: Pin, allowed?: readonly string[], localBlob?: Blob): Promise<Blob> {
  const what = `${pin.key} ${formatVersion(pin.version)} (${pin.file.url})`;
  const fromIndex = pin.file.hashes.sha256;
  if (allowed && fromIndex && !allowed.includes(fromIndex)) {
    throw new CoreError('digest-mismatch', `${pin.file.filename}: its sha256 ${fromIndex} is not among the --hash values given for ${pin.key} (${allowed.map((h) => `sha256:${h}`).join(', ')})`);
  }
  // a local wheel's sha256 is its own, taken when it was read
  if (localBlob) return localBlob;
  const want = fromIndex ?? (allowed?.length === 1 ? allowed[0] : undefined);
  if (!want) throw new CoreError('index-error', `${what}: the index gives no sha256 for the wheel, so it cannot be verified`);
  // into the blob store, verified while it streams (a wheel that does not match leaves nothing there);
  // a wheel stored before is hashed again and taken from there
  const blobs = await fetchPackages([{ fn: pin.file.filename, url: pin.file.url, sha256: want }], { store, fetch: doFetch as typeof fetch });
  return blobs.get(pin.file.filename)!;
}
