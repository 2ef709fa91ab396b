/**
 * Channels: a name (resolved against a configurable default base, conda-forge by default), an http(s) URL, or a
 * local channel's `file:///` URL (read through localChannelFetch). The subdirs searched are the platform's plus
 * `noarch`.
 */
import { CoreError } from '../errors';
import { normalizeFileChannel } from './local-channel';

/** Where channel names live unless told otherwise. */
export const DEFAULT_CHANNEL_BASE = 'https://conda.anaconda.org/';
/** The channel used when a request names none. */
export const DEFAULT_CHANNEL = 'conda-forge';

/** A resolved channel. */
export interface Channel {
  /** as the user wrote it (a name or a URL) */
  name: string;
  /** base URL ending in `/` (subdirs are below it); `file:///…/` for a local channel */
  url: string;
}

/** Resolves a channel name or URL (http(s) or file:///); names go under `base` (default https://conda.anaconda.org/). */
export function resolveChannel(input: string, base = DEFAULT_CHANNEL_BASE): Channel {
  const name = input.trim().replace(/\/+$/, '');
  if (!name) throw new CoreError('invalid-argument', 'an empty channel name');
  if (/^file:/i.test(name)) return { name, url: normalizeFileChannel(name) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
    if (!/^https?:\/\//i.test(name)) throw new CoreError('invalid-argument', `${name}: a channel URL must be http(s)`);
    return { name, url: `${name}/` };
  }
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(name) || name.split('/').includes('..')) {
    throw new CoreError('invalid-argument', `"${input}" is not a channel name or URL`);
  }
  return { name, url: `${base.replace(/\/*$/, '/')}${name}/` };
}

/** The subdirs a solve for `subdir` reads: the platform's, then noarch. */
export function channelSubdirs(subdir: string): string[] {
  return subdir === 'noarch' ? ['noarch'] : [subdir, 'noarch'];
}

/** URL of a file in a channel's subdir. */
export function subdirUrl(channel: Channel | string, subdir: string, file = ''): string {
  const base = typeof channel === 'string' ? channel.replace(/\/*$/, '/') : channel.url;
  return `${base}${subdir}/${file}`;
}
