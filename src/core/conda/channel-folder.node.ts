/**
 * Local channels in Node: a folder given as a path (`./channel`, `/abs/channel`, `~/channel`) or a
 * `file:///abs/channel` URL, read through node:fs (files as Blobs, streamed when read).
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CoreError } from '../errors';
import { isFileChannel, localChannelFetch, normalizeFileChannel, type ChannelReader, type LocalChannel } from './local-channel';
import type { PackageRecord } from './types';

/** True for a channel given as a path (conda's rule: it starts with `/`, `./`, `../` or `~/`, or is `.`/`..`). */
export function isPathChannel(channel: string): boolean {
  return /^(\/|\.{1,2}(\/|$)|~(\/|$))/.test(channel.trim());
}

/** The `file:///` URL of a path or file: channel (relative paths against `cwd`); names and http(s) URLs unchanged. */
export function localChannelUrl(channel: string, cwd = process.cwd()): string {
  const c = channel.trim();
  if (isFileChannel(c)) return normalizeFileChannel(c);
  if (!isPathChannel(c)) return channel;
  const abs = c === '~' || c.startsWith('~/') ? join(homedir(), c.slice(1)) : resolve(cwd, c);
  return normalizeFileChannel(pathToFileURL(abs).href);
}

/** A reader over the channel folder `root` (absolute); errors name `url`. */
export function folderChannelReader(folder: string, url: string): ChannelReader {
  const root = folder.length > 1 ? folder.replace(/\/+$/, '') : folder;
  let rootChecked: Promise<void> | undefined;
  const checkRoot = () => (rootChecked ??= stat(root).then((s) => {
    if (!s.isDirectory()) throw new CoreError('channel-unreadable', `channel ${url}: ${root} is not a folder`);
  }, (e: NodeJS.ErrnoException) => {
    const why = e.code === 'ENOENT' ? `there is no folder ${root}` : e.code === 'ENOTDIR' ? `${root} is not a folder` : `cannot read ${root} (${e.code ?? e.message})`;
    throw new CoreError('channel-unreadable', `channel ${url}: ${why}`, { cause: e });
  }));
  return {
    async file(path) {
      await checkRoot();
      const parts = path.split('/').filter(Boolean);
      if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p.includes(sep))) return undefined;
      const file = join(root, ...parts);
      try {
        if (!(await stat(file)).isFile()) return undefined;
        return await openAsBlob(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new CoreError('channel-unreadable', `channel ${url}: cannot read ${file} (${code ?? (e as Error).message})`, { cause: e });
      }
    },
  };
}

/** The local channel of a path or `file:` channel. */
export function folderChannel(channel: string, cwd = process.cwd()): LocalChannel {
  const url = localChannelUrl(channel, cwd);
  if (!isFileChannel(url)) throw new CoreError('invalid-argument', `channel ${channel} is not a folder or file:// URL`);
  return { url, reader: folderChannelReader(fileURLToPath(url), url) };
}

/**
 * The fetch packages and repodata go through: local channels (`file://` ones of `channels`, and those the
 * `lock` records' channels name) are read from their folders, everything else from the network.
 */
export function localChannelsFetch(channels: string[], lock: Pick<PackageRecord, 'channel'>[] = []): typeof fetch {
  const net = globalThis.fetch.bind(globalThis);
  const local = [...new Set([...channels, ...lock.map((r) => r.channel)].filter(isFileChannel).map(normalizeFileChannel))];
  return local.length ? localChannelFetch(local.map((c) => folderChannel(c)), net) : net;
}
