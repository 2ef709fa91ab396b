/**
 * A client of Python package indexes ("simple" repositories): the JSON form (PEP 691) asked for first, the
 * HTML form (PEP 503, with PEP 592 yanking and PEP 658/714 metadata attributes) read when the index answers
 * with it. A wheel's core metadata comes from its `.metadata` file where the index offers one (checked against
 * the announced hash), else from the wheel's METADATA member by ranged reads of the zip's central directory.
 * The fetch function is given, so the browser passes its proxied fetch.
 */
import { CoreError } from '../errors';
import { sha256 } from '../digest';
import { readZipDirectory, zipMemberStream, blobZipSource, type ZipSource } from '../conda/zip';
import { canonicalizeName } from './marker';
import { parseCoreMetadata, parseWheelName, type CoreMetadata } from './wheel';

/** The fetch the client calls (the global one, or the browser's proxied one). */
export type IndexFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** One file of a project page. */
export interface IndexFile {
  readonly filename: string;
  /** absolute URL, without the hash fragment */
  readonly url: string;
  /** hash name → lower-case hex digest */
  readonly hashes: Readonly<Record<string, string>>;
  readonly requiresPython?: string;
  /** false, or the reason given (possibly empty) when the file is yanked */
  readonly yanked: false | string;
  /** false when the index has no `.metadata` file; else the hashes of that file (possibly none) */
  readonly metadata: false | Readonly<Record<string, string>>;
}

/** A project's page on one index. */
export interface ProjectPage {
  readonly name: string;
  readonly url: string;
  readonly format: 'json' | 'html';
  readonly files: readonly IndexFile[];
}

const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';
const fail = (msg: string, cause?: unknown) => new CoreError('index-error', msg, cause === undefined ? undefined : { cause });

async function get(doFetch: IndexFetch, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (e) {
    throw new CoreError('network-error', `cannot reach ${url}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads `{indexUrl}/{normalised project}/`; throws a CoreError 'index-error' when the project is absent. */
export async function fetchProjectPage(doFetch: IndexFetch, indexUrl: string, project: string): Promise<ProjectPage> {
  const page = await findProjectPage(doFetch, indexUrl, project);
  if (!page) throw fail(`${project}: no such project on the index ${indexUrl}`);
  return page;
}

/** Like fetchProjectPage, but undefined when the index has no such project (404). */
export async function findProjectPage(doFetch: IndexFetch, indexUrl: string, project: string): Promise<ProjectPage | undefined> {
  const url = new URL(`${canonicalizeName(project)}/`, indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`).href;
  const res = await get(doFetch, url, { headers: { Accept: ACCEPT } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw fail(`${url}: the index answered ${res.status} ${res.statusText}`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  // relative file URLs resolve against the page's upstream URL: a redirect the fetch followed itself names the
  // page's new place; a proxy's (which follows redirects server-side) would name the proxy, not the index
  const base = res.redirected && res.url ? res.url : url;
  const text = await res.text();
  if (type === 'application/vnd.pypi.simple.v1+json') return { name: project, url, format: 'json', files: parseJsonPage(text, base) };
  if (type === 'text/html' || type === 'application/vnd.pypi.simple.v1+html') return { name: project, url, format: 'html', files: parseHtmlPage(text, base) };
  throw fail(`${url}: the index answered with ${type || 'no content type'}, neither the JSON nor the HTML simple API`);
}

function splitUrl(href: string, base: string): { url: string; fragment: Record<string, string> } {
  const u = new URL(href, base);
  const frag = u.hash.slice(1);
  u.hash = '';
  const m = /^(\w+)=([0-9a-fA-F]+)$/.exec(frag);
  return { url: u.href, fragment: m ? { [m[1]!.toLowerCase()]: m[2]!.toLowerCase() } : {} };
}

const lowerHashes = (h: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((h ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v).toLowerCase()]));

function parseJsonPage(text: string, base: string): IndexFile[] {
  let doc: { meta?: { 'api-version'?: string }; files?: Record<string, unknown>[] };
  try { doc = JSON.parse(text) as typeof doc; } catch (e) { throw fail(`${base}: the JSON project page is not JSON`, e); }
  const major = (doc.meta?.['api-version'] ?? '1.0').split('.')[0];
  if (major !== '1') throw fail(`${base}: simple API version ${doc.meta?.['api-version']} is not supported (1.x is)`);
  if (!Array.isArray(doc.files)) throw fail(`${base}: the JSON project page has no files list`);
  return doc.files.map((f) => {
    if (typeof f.filename !== 'string' || typeof f.url !== 'string') throw fail(`${base}: a file entry lacks filename or url`);
    const { url } = splitUrl(f.url, base);
    const md = f['core-metadata'] ?? f['dist-info-metadata'];
    return {
      filename: f.filename, url, hashes: lowerHashes(f.hashes),
      ...(typeof f['requires-python'] === 'string' && f['requires-python'] ? { requiresPython: f['requires-python'] } : {}),
      yanked: f.yanked === true ? '' : typeof f.yanked === 'string' ? f.yanked : false,
      metadata: md === true ? {} : md && typeof md === 'object' ? lowerHashes(md) : false,
    };
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescape = (s: string) => s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
  e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e.toLowerCase()] ?? all);

function parseHtmlPage(text: string, base: string): IndexFile[] {
  const baseHref = /<base\s[^>]*href\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(text);
  const root = baseHref ? new URL(unescape(baseHref[1] ?? baseHref[2]!), base).href : base;
  const files: IndexFile[] = [];
  for (const a of text.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs: Record<string, string> = {};
    for (const m of a[1]!.matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) attrs[m[1]!.toLowerCase()] = unescape(m[2] ?? m[3] ?? m[4] ?? '');
    if (!attrs.href) continue;
    const { url, fragment } = splitUrl(attrs.href, root);
    const md = attrs['data-core-metadata'] ?? attrs['data-dist-info-metadata'];
    const mdHash = md && /^(\w+)=([0-9a-fA-F]+)$/.exec(md);
    files.push({
      filename: unescape(a[2]!.replace(/<[^>]*>/g, '')).trim() || decodeURIComponent(new URL(url).pathname.split('/').pop()!),
      url, hashes: fragment,
      ...(attrs['data-requires-python'] ? { requiresPython: attrs['data-requires-python'] } : {}),
      yanked: 'data-yanked' in attrs ? attrs['data-yanked']! : false,
      metadata: md === undefined || md === 'false' ? false : mdHash ? { [mdHash[1]!.toLowerCase()]: mdHash[2]!.toLowerCase() } : {},
    });
  }
  return files;
}

/** A wheel's core metadata: its `.metadata` file (hash-checked) where the index has one, else by ranged reads. */
export async function fetchWheelMetadata(doFetch: IndexFetch, file: IndexFile): Promise<CoreMetadata> {
  const wheel = parseWheelName(file.filename);
  if (!wheel) throw fail(`${file.filename} is not a wheel`);
  if (file.metadata) {
    const res = await get(doFetch, `${file.url}.metadata`);
    if (!res.ok) throw fail(`${file.url}.metadata: the index answered ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const want = file.metadata.sha256;
    if (want) {
      const got = (await sha256(bytes)).slice('sha256:'.length);
      if (got !== want) throw new CoreError('digest-mismatch', `${file.filename}.metadata: sha256 ${got}, the index announced ${want}`);
    }
    return parseCoreMetadata(new TextDecoder().decode(bytes), `${file.filename}.metadata`);
  }
  return readWheelMetadata(await httpZipSource(doFetch, file.url), file.filename);
}

/** A wheel's core metadata from its `{name}-{version}.dist-info/METADATA` member (the wheel, or ranged reads of it). */
export async function readWheelMetadata(src: ZipSource | Blob, filename: string): Promise<CoreMetadata> {
  const wheel = parseWheelName(filename);
  if (!wheel) throw fail(`${filename} is not a wheel`);
  const members = await readZipDirectory(src);
  const wanted = members.find((m) => /^[^/]+\.dist-info\/METADATA$/.test(m.name) && canonicalizeName(m.name.split('-')[0]!) === wheel.name);
  if (!wanted) throw fail(`${filename} has no {name}-{version}.dist-info/METADATA member`);
  if (wanted.size > 4 << 20) throw fail(`${filename}: its METADATA is ${wanted.size} bytes`);
  const text = await new Response(await zipMemberStream(src, wanted)).text();
  return parseCoreMetadata(text, `${filename}: METADATA`);
}

/**
 * A ZipSource over HTTP Range requests. The first request asks for the tail (where the central directory
 * usually is) and learns the size; a server that ignores Range sends the whole file, which is then read whole.
 */
export async function httpZipSource(doFetch: IndexFetch, url: string, tail = 65_557): Promise<ZipSource> {
  const first = await get(doFetch, url, { headers: { Range: `bytes=-${tail}` } });
  if (first.status === 200) return blobZipSource(await first.blob());
  if (first.status !== 206) throw fail(`${url}: the index answered ${first.status} to a range request`);
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(first.headers.get('content-range') ?? '');
  if (!m) throw fail(`${url}: a 206 answer without a usable Content-Range`);
  const size = Number(m[3]);
  const cachedStart = Number(m[1]);
  const cached = new Uint8Array(await first.arrayBuffer());
  if (cached.byteLength !== Number(m[2]) - cachedStart + 1) throw fail(`${url}: the range answer is ${cached.byteLength} bytes, its Content-Range says otherwise`);
  return {
    size,
    async read(start, end) {
      if (start >= cachedStart) return cached.subarray(start - cachedStart, end - cachedStart);
      const res = await get(doFetch, url, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (res.status !== 206) throw fail(`${url}: the index answered ${res.status} to a range request`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
