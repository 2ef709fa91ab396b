/**
 * The pip step of a build: the environment.yml `pip:` list resolved against its indexes for the environment's
 * python and the base's glibc (or the wheels of a lock taken as they are), each wheel streamed into the blob
 * store checked against its sha256 (a rebuild takes it from there), and installed as pip does into one layer
 * after the conda layers.
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
import type { LockedWheel } from '../conda/explicit-lock';

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
      if (!opts.base) refuse('a local wheel is read relative to the environment.yml\'s folder, and there is none here (a build in the browser reads no local files)');
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

/**
 * Resolves the pip section for the environment (what conda installs left out, pip's hash-checking rules
 * applied): one wheel per project, sorted by name, with the sha256 it must have.
 */
export async function resolvePipSection(section: PipSection, o: Omit<PipStepOptions, 'prefix' | 'epoch' | 'store'>): Promise<LockedWheel[]> {
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
  const platform = `linux/${o.architecture} ${o.glibc ? `with glibc ${o.glibc}` : 'without glibc (pure wheels only)'}`;
  const pins = await resolvePip(requirements, { markers, python: o.python, tags, platform }, source, {
    ...(o.warn ? { warn: o.warn } : {}), ...(o.installed ? { installed: o.installed } : {}), ...(section.hashes ? { allowedHashes: section.hashes } : {}),
  });
  if (section.hashes) {
    const unlisted = pins.filter((p) => !section.hashes![p.key]).map((p) => `${p.key}==${formatVersion(p.version)}${p.requested ? '' : ' (a dependency)'}`);
    if (unlisted.length) throw new CoreError('requirement-invalid', `hash-checking mode: every distribution needs a --hash, and these have none: ${unlisted.join(', ')}`);
  }
  return pins.map((pin) => ({ name: pin.key, version: formatVersion(pin.version), url: pin.file.url, sha256: wheelDigest(pin, section.hashes?.[pin.key]) }));
}

/** The top-level projects of a section (pip writes REQUESTED for those): its requirements and local wheels. */
export function requestedProjects(section: PipSection | undefined): Set<string> {
  if (!section) return new Set();
  return new Set([
    ...section.requirements.map((r) => parseRequirement(r).key),
    ...(section.wheels ?? []).map((u) => canonicalWheelKey(decodeURIComponent(new URL(u).pathname.split('/').pop()!))),
  ]);
}

/**
 * Fetches (through the blob store; a local wheel through `openLocal`) and installs each wheel, checked against
 * its sha256: the pip layer's entries, file bodies streaming from the wheels. A wheel that fails to install
 * leaves the store.
 */
export async function installLockedWheels(wheels: readonly LockedWheel[], section: PipSection | undefined, o: Pick<PipStepOptions, 'prefix' | 'epoch' | 'python' | 'fetch' | 'store' | 'openLocal'>): Promise<TarWriteEntry[]> {
  const xy = o.python.split('.').slice(0, 2).join('.');
  const requested = requestedProjects(section);
  const entries: TarWriteEntry[] = [];
  for (const w of wheels) {
    const filename = decodeURIComponent(new URL(w.url).pathname.split('/').pop()!);
    const local = w.url.startsWith('file:');
    const blob = local ? await openLocalWheel(w, filename, o.openLocal) : (await fetchPackages([{ fn: filename, url: w.url, sha256: w.sha256 }], { store: o.store, fetch: o.fetch as typeof fetch })).get(filename)!;
    // a wheel named by path (not found on an index) gets direct_url.json, as pip gives it
    const installed = await installWheel(blob, filename, { prefix: o.prefix, pythonVersion: xy, epoch: o.epoch, requested: requested.has(w.name), ...(local ? { directUrl: { url: w.url, sha256: w.sha256 } } : {}) })
      .catch(async (e: unknown) => {
        // a wheel that does not install (a member outside the prefix, one its RECORD does not vouch for) is not kept
        if (!local) await o.store.delete(`sha256:${w.sha256}`);
        throw e;
      });
    entries.push(...installed.entries);
  }
  return withParents(entries, o.epoch);
}

/** A local wheel, read again and checked against the sha256 it was resolved (or locked) with. */
async function openLocalWheel(w: LockedWheel, filename: string, open: ((url: string) => Promise<Blob>) | undefined): Promise<Blob> {
  const blob = await readLocal(w.url, filename, open);
  const got = digestHex((await digestStream(blob.stream())).digest);
  if (got !== w.sha256) throw new CoreError('digest-mismatch', `local wheel ${w.url}: sha256 ${got}, expected ${w.sha256} (it changed since it was resolved)`);
  return blob;
}

async function readLocal(url: string, filename: string, open: ((url: string) => Promise<Blob>) | undefined): Promise<Blob> {
  if (!open) throw new CoreError('invalid-argument', `${filename}: local wheels cannot be read here (no local files)`);
  return Promise.resolve().then(() => open(url)).catch((e: unknown) => {
    if (e instanceof CoreError) throw e;
    throw new CoreError('invalid-argument', `local wheel ${url}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  });
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
    const prev = out.get(w.name);
    if (prev) throw new CoreError('requirement-invalid', `${filename} and ${prev.file.filename} are both local wheels of ${w.name}: give one`);
    const blob = await readLocal(url, filename, open);
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
 * The sha256 a resolved wheel must have: the index's (a wheel without one is refused unless one hash-checking
 * digest names it), which in hash-checking mode must be among the digests the requirement allows.
 */
function wheelDigest(pin: Pin, allowed?: readonly string[]): string {
  const fromIndex = pin.file.hashes.sha256;
  if (allowed && fromIndex && !allowed.includes(fromIndex)) {
    throw new CoreError('digest-mismatch', `${pin.file.filename}: its sha256 ${fromIndex} is not among the --hash values given for ${pin.key} (${allowed.map((h) => `sha256:${h}`).join(', ')})`);
  }
  const want = fromIndex ?? (allowed?.length === 1 ? allowed[0] : undefined);
  if (!want) throw new CoreError('index-error', `${pin.key} ${formatVersion(pin.version)} (${pin.file.url}): the index gives no sha256 for the wheel, so it cannot be verified`);
  return want;
}
