/**
 * Local channels: a conda channel in a folder (`-c ./channel`, `-c file:///abs/channel` in Node; a
 * FileSystemDirectoryHandle in the browser). A channel is known by its `file:///` URL, which is what records,
 * locks and conda-meta keep. The solver reads repodata only through fetch and only over http(s), so it sees
 * each local channel under LOCAL_CHANNEL_ORIGIN + the URL's path; localChannelFetch answers both spellings from
 * the channel's reader. Its answers say `cache-control: no-store` (a folder changes under a cache), and packages
 * read from it are verified against their repodata sha256 as downloaded ones are (fetchPackages).
 */
import { CoreError } from '../errors';

/** The origin the solver fetches local channels' files under (`.invalid` never resolves: nothing leaves). */
export const LOCAL_CHANNEL_ORIGIN = 'http://local-channel.invalid';

/** Reads the files of a channel folder by path relative to its root (`noarch/repodata.json`). */
export interface ChannelReader {
  /** the file, or undefined when there is none; throws a CoreError 'channel-unreadable' when the folder cannot be read */
  file(path: string): Promise<Blob | undefined>;
}

/** A local channel: its `file:///…/` URL (ending in `/`) and how to read it. */
export interface LocalChannel {
  url: string;
  reader: ChannelReader;
}

/** True for a channel given as a `file:` URL. */
export function isFileChannel(channel: string): boolean {
  return /^file:/i.test(channel.trim());
}

/** A `file:` channel URL in one spelling: `file:///abs/path/` (a host or a query is refused). */
export function normalizeFileChannel(channel: string): string {
  let u: URL;
  try { u = new URL(channel.trim()); } catch (e) { throw new CoreError('invalid-argument', `channel ${channel}: not a file:// URL`, { cause: e }); }
  if (u.protocol !== 'file:' || (u.host && u.host !== 'localhost') || u.search || u.hash) {
    throw new CoreError('invalid-argument', `channel ${channel}: a local channel is a file:///absolute/path URL`);
  }
  return `file://${u.pathname.replace(/\/*$/, '/')}`;
}

/** The URL the solver fetches a local channel (or any file of it) under; other URLs are returned as they are. */
export function solverUrlOf(url: string): string {
  return /^file:\/\//i.test(url) ? `${LOCAL_CHANNEL_ORIGIN}${url.slice('file://'.length)}` : url;
}

/** The `file://` URL of a URL (or text) the solver used for a local channel; anything else unchanged. */
export function fileUrlOf(text: string): string {
  return text.replaceAll(`${LOCAL_CHANNEL_ORIGIN}/`, 'file:///');
}

const METADATA = ['repodata_shards.msgpack.zst', 'repodata.json.zst', 'repodata.json.bz2', 'repodata.json'];

/** Rejects unless `subdir/` or `noarch/` of the channel holds repodata (a folder that is no channel, a typo). */
async function checkChannel(ch: LocalChannel, subdir: string): Promise<void> {
  for (const dir of [...new Set([subdir, 'noarch'])]) {
    for (const name of METADATA) if (await ch.reader.file(`${dir}/${name}`)) return;
  }
  throw new CoreError('channel-unreadable', `channel ${ch.url}: neither ${subdir}/ nor noarch/ holds repodata (${METADATA.join(', ')}): is it a conda channel? (conda index makes one)`);
}

/**
 * A fetch that answers `file://` URLs and LOCAL_CHANNEL_ORIGIN URLs from the local channels' readers (404 for
 * missing metadata, an error naming the channel for anything else) and passes every other request to `inner`.
 * The first request to a channel checks it holds repodata.
 */
export function localChannelFetch(channels: LocalChannel[], inner: typeof fetch): typeof fetch {
  const byUrl = channels.map((c) => ({ ...c, url: normalizeFileChannel(c.url) })).sort((a, b) => b.url.length - a.url.length);
  const checked = new Map<string, Promise<void>>();
  return (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const requested = (input instanceof Request ? input.url : String(input)).split('#')[0];
    const url = fileUrlOf(requested);
    if (!/^file:\/\//i.test(url)) return inner(input, init);
    const ch = byUrl.find((c) => url.startsWith(c.url));
    if (!ch) throw new CoreError('channel-unreadable', `${url}: no local channel holds it (local channels are read where they are given with -c, or as a folder)`);
    const path = decodeURIComponent(url.slice(ch.url.length));
    const [subdir, name = ''] = path.split('/');
    let check = checked.get(ch.url);
    if (!check) checked.set(ch.url, check = checkChannel(ch, subdir));
    await check;
    const blob = await ch.reader.file(path);
    if (!blob) {
      if (!METADATA.includes(name) && !/^[0-9a-f]{64}\.msgpack\.zst$/.test(name)) throw new CoreError('channel-unreadable', `channel ${ch.url}: ${path} is not in the folder`);
      return withUrl(new Response(null, { status: 404, headers: { 'cache-control': 'no-store' } }), requested);
    }
    return withUrl(new Response(blob.stream(), { status: 200, headers: { 'cache-control': 'no-store', 'content-length': String(blob.size) } }), requested);
  }) as typeof fetch;
}

function withUrl(res: Response, url: string): Response {
  Object.defineProperty(res, 'url', { value: url });
  return res;
}

/** A channel reader over a browser directory handle (showDirectoryPicker, OPFS); `url` names it in errors. */
export function directoryHandleReader(root: FileSystemDirectoryHandle, url: string): ChannelReader {
  const fail = (path: string, e: unknown) => new CoreError('channel-unreadable', `channel ${url}: cannot read ${path}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  const missing = (e: unknown) => e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
  return {
    async file(path) {
      const parts = path.split('/').filter(Boolean);
      if (parts.length === 0 || parts.some((p) => p === '.' || p === '..')) return undefined;
      try {
        let dir = root;
        for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
        return await (await dir.getFileHandle(parts.at(-1)!)).getFile();
      } catch (e) {
        if (missing(e)) return undefined;
        throw fail(path, e);
      }
    },
  };
}
