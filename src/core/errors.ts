/**
 * Errors of the core: each has a stable `name` and a `code` a UI or script can switch on.
 * Context is added with `{ cause }`; messages say what failed and, where it helps, what to do.
 */
export type ErrorCode =
  | 'invalid-digest'
  | 'digest-mismatch'
  | 'size-mismatch'
  | 'tar-truncated'
  | 'tar-corrupt'
  | 'compression-corrupt'
  | 'unsupported-compression'
  | 'archive-empty'
  | 'archive-unsupported'
  | 'archive-invalid'
  | 'archive-missing-member'
  | 'image-not-found'
  | 'platform-not-found'
  | 'unsafe-path'
  | 'invalid-argument'
  | 'invalid-image'
  | 'too-many-layers'
  | 'registry-error'
  | 'network-error'
  | 'solve-failed'
  | 'solve-timeout'
  | 'repodata-invalid';

/** Base class of every error the core throws on purpose. */
export class CoreError extends Error {
  override readonly name: string = 'CoreError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A byte stream did not hash to the digest it was announced with. */
export class DigestMismatchError extends CoreError {
  override readonly name = 'DigestMismatchError';
  constructor(
    readonly expected: string,
    readonly actual: string,
    what = 'content',
    options?: ErrorOptions,
  ) {
    super('digest-mismatch', `${what} does not match ${expected} (got ${actual})`, options);
  }
}

/** A byte stream did not have the length it was announced with. */
export class SizeMismatchError extends CoreError {
  override readonly name = 'SizeMismatchError';
  constructor(
    readonly expected: number,
    readonly actual: number,
    what = 'content',
    options?: ErrorOptions,
  ) {
    super('size-mismatch', `${what} is ${actual} bytes, expected ${expected}`, options);
  }
}

/** A tar stream or file is malformed or ends early. */
export class TarError extends CoreError {
  override readonly name = 'TarError';
  constructor(
    code: 'tar-truncated' | 'tar-corrupt',
    message: string,
    /** byte offset in the (uncompressed) tar where the problem was found */
    readonly offset?: number,
    options?: ErrorOptions,
  ) {
    super(code, offset === undefined ? message : `${message} (at byte ${offset})`, options);
  }
}

/** An image archive or layout could not be read. */
export class ArchiveError extends CoreError {
  override readonly name = 'ArchiveError';
}

/** Turns anything thrown (strings included) into an Error with a message. */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}
