/**
 * The licence notice of the busybox binary in the sample base: BusyBox is GPL-2.0-only, so whoever passes the
 * binary on passes on its licence and says where its source is. The text comes from the installed Debian
 * package (its copyright file and the GPL-2 text it points to), with the exact source version.
 */
import { readFileSync } from 'node:fs';
import { busyboxVersion } from '../harness/busybox';
import { runCapture } from '../harness/util';

const COPYRIGHT = '/usr/share/doc/busybox-static/copyright';
const GPL2 = '/usr/share/common-licenses/GPL-2';

/** Debian's binary and source versions of busybox-static, e.g. `1:1.35.0-4+deb12u1+b1` and `1:1.35.0-4+deb12u1`. */
export function busyboxDebianVersions(): { binary: string; source: string } {
  const binary = busyboxVersion();
  const source = runCapture('dpkg-query', ['-W', '-f=${source:Version}', 'busybox-static']).stdout.trim();
  return { binary, source: source || binary };
}

/** The notice text: what the binary is, its licence, where the corresponding source is, and the GPL-2 text. */
export function busyboxNotice(): string {
  const { binary, source } = busyboxDebianVersions();
  // upstream version: no epoch, no Debian revision (1:1.35.0-4+deb12u1 -> 1.35.0)
  const upstream = source.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  return [
    'BusyBox in the docker-envs sample base',
    '======================================',
    '',
    'base/busybox.tar holds /bin/busybox from Debian 12 (bookworm) package busybox-static',
    `${binary} (amd64), unchanged, with its applet symlinks; the same text is inside the image at`,
    '/usr/share/doc/busybox/NOTICE.',
    '',
    'BusyBox is free software: you can redistribute it and/or modify it under the terms of the GNU General',
    'Public License, version 2 (GPL-2.0-only). Its text follows.',
    '',
    `Source code: the complete corresponding source is Debian's source package busybox ${source}:`,
    `  https://sources.debian.org/src/busybox/${source}/`,
    `  https://snapshot.debian.org/package/busybox/${source}/`,
    `  or, on Debian 12: apt-get source busybox=${source}`,
    `The upstream release it is built from: https://busybox.net/downloads/busybox-${upstream}.tar.bz2`,
    '',
    `Debian's copyright file for busybox-static (${COPYRIGHT}):`,
    '-'.repeat(78),
    readFileSync(COPYRIGHT, 'utf8').trimEnd(),
    '-'.repeat(78),
    '',
    `The GNU General Public License, version 2 (${GPL2}):`,
    '-'.repeat(78),
    readFileSync(GPL2, 'utf8').trimEnd(),
    '',
  ].join('\n');
}
