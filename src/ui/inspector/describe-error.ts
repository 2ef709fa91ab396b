/** Turns an error from the inspect worker into a sentence for the page (CoreError codes explained). */
import type { WorkerError } from '../../bridge/inspect-bridge';

const HINTS: Record<string, string> = {
  'archive-empty': 'The file is empty or holds nothing.',
  'archive-invalid': 'This is not an image archive.',
  'archive-unsupported': 'This kind of archive is not supported.',
  'archive-missing-member': 'The archive lacks a member it needs.',
  'tar-truncated': 'The tar ends early: the file is truncated (an interrupted download or copy?).',
  'tar-corrupt': 'The tar is damaged.',
  'compression-corrupt': 'The compressed data is damaged.',
  'unsupported-compression': 'The compression is not supported.',
  'image-not-found': 'The archive holds no image.',
  'unsafe-path': 'The archive names a path outside itself.',
  'digest-mismatch': 'Content does not match its digest.',
  'invalid-image': 'The image metadata is invalid.',
  'too-many-layers': 'The image has more layers than can be read (at most 1000).',
};

/** A short explanation and the error's own message. */
export function describeError(e: unknown): string {
  const err = e as WorkerError;
  const msg = err instanceof Error ? err.message : String(e);
  const hint = err?.code ? HINTS[err.code] : undefined;
  return hint ? `${hint} Details: ${msg}.`.replace(/\.\.$/, '.') : msg;
}
