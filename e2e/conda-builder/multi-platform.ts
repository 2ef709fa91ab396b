/**
 * A channel for multi-platform builds: `arch-marker` in both linux-64 and linux-aarch64, each build's file
 * naming its subdir (so an image shows which platform's package it got), and `hello-sh`, a noarch script
 * every platform installs.
 */
import { writeChannel, type PackageDef } from './package';

/** The same package name in one arch subdir, its file naming that subdir. */
export const archMarker = (subdir: 'linux-64' | 'linux-aarch64'): PackageDef => ({
  name: 'arch-marker', version: '1.0', build: 'h0_0', subdir, files: [{ path: 'share/arch-marker', content: `${subdir}\n` }],
});

/** A noarch shell script. */
export const HELLO_SH: PackageDef = {
  name: 'hello-sh', version: '1.0', build: '0', subdir: 'noarch', noarch: 'generic', files: [
    { path: 'bin/hello-sh', mode: 0o755, content: '#!/bin/sh\necho "hello from noarch"\n' },
  ],
};

/** Writes the multi-platform channel (both markers and hello-sh) into `dir`. */
export function writeMultiPlatformChannel(dir: string): Promise<void> {
  return writeChannel(dir, [archMarker('linux-64'), archMarker('linux-aarch64'), HELLO_SH]);
}
