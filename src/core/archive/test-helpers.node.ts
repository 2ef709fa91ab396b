/** Test helpers of the archive module (Node only): a folder source over a directory, and skopeo as an oracle. */
import { execFileSync } from 'node:child_process';
import { existsSync, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayoutFolder } from './types';

/** A LayoutFolder over a directory on disk (file-backed Blobs). */
export function dirSource(root: string): LayoutFolder {
  return {
    readFile: async (p) => {
      if ((await stat(join(root, p))).isDirectory()) throw new Error(`${p} is a directory`);
      return openAsBlob(join(root, p));
    },
    exists: async (p) => stat(join(root, p)).then(() => true, () => false),
    isDirectory: async (p) => stat(join(root, p)).then((s) => s.isDirectory(), () => false),
  };
}

/** Whether skopeo is installed. */
export const haveSkopeo = existsSync('/usr/bin/skopeo');

/** Runs skopeo; returns stdout, or throws with its stderr. */
export function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/** skopeo's view of an image: raw manifest (parsed) and raw config bytes. */
export function skopeoInspect(ref: string): { manifest: { layers: { digest: string; size: number; mediaType: string }[]; config: { digest: string } }; config: Buffer } {
  const manifest = JSON.parse(skopeo('inspect', '--raw', ref));
  const config = execFileSync('skopeo', ['inspect', '--config', '--raw', ref], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { manifest, config };
}
