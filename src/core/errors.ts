/**
 * Errors of the core: each has a stable `name` and a `code` a UI or script can switch on.
 * Context is added with `{ cause }`; messages say what failed and, where it helps, what to do.
 */
/** Every code a CoreError may carry (the wire format checks against it). */
export const ERROR_CODES = [
  'invalid-digest',
  'digest-mismatch',
  'size-mismatch',
  'tar-truncated',
  'tar-corrupt',
  'compression-corrupt',
  'unsupported-compression',
  'archive-empty',
  'archive-unsupported',
  'archive-invalid',
  'archive-missing-member',
  'image-not-found',
  'platform-not-found',
  'unsafe-path',
  'invalid-argument',
  'invalid-image',
  'too-many-layers',
  'registry-error',
  'network-error',
  'solve-failed',
  'solve-timeout',
  'repodata-invalid',
  'environment-invalid',
  'lock-invalid',
  'lock-mismatch',
  'share-link-invalid',
  'worker-failed',
  'cancelled',
  'internal',
  'channel-unreadable',
  'requirement-invalid',
  'index-error',
  'storage-full',
] as const;

/** A CoreError's code: what failed, for a UI or a script to switch on. */
export type ErrorCode = (typeof ERROR_CODES)[number];

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

/**
 * An error as it crosses a thread boundary (Node worker threads, Web Workers through comlink): a plain
 * object that structured clone and JSON carry whole. deserializeError makes a CoreError of it again.
 */
export interface SerializedError {
  /** the class's name (DigestMismatchError, TypeError…) */
  name: string;
  /** the CoreError code; absent for anything else that was thrown */
  code?: string;
  message: string;
  stack?: string;
  /** the error's own fields besides these (expected/actual, offset, status…), where they are plain data */
  fields?: Record<string, unknown>;
  cause?: SerializedError;
}

/** Deepest cause chain carried (a longer one is cut there, a cyclic one too). */
const MAX_CAUSES = 16;
const OWN = new Set(['name', 'code', 'message', 'stack', 'cause']);

/** Data structured clone and JSON both carry unchanged (no functions, class instances or cycles). */
function isPlain(v: unknown, depth = 0): boolean {
  if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
  if (depth > 8 || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.every((x) => isPlain(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(v as object).every((x) => isPlain(x, depth + 1));
}

/** Anything thrown (an Error of any class, a string, an object), with its cause chain, as plain data. */
export function serializeError(e: unknown, depth = 0): SerializedError {
  if (!(e instanceof Error)) {
    return { name: 'Error', message: typeof e === 'string' ? e : safeJson(e) };
  }
  const out: SerializedError = { name: e.name, message: e.message };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (typeof e.stack === 'string') out.stack = e.stack;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (!OWN.has(k) && isPlain(v)) fields[k] = v;
  if (Object.keys(fields).length) out.fields = fields;
  if (e.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The classes deserializeError rebuilds by name (registerErrorClass adds those defined outside this file). */
const classes = new Map<string, { prototype: CoreError }>();

/**
 * Lets deserializeError rebuild errors of this CoreError subclass (`instanceof` it) from their wire form;
 * `name` is the errors' `name` field (not `cls.name`, which a minifier renames).
 */
export function registerErrorClass(name: string, cls: { prototype: CoreError }): void {
  classes.set(name, cls);
}

/** Whether a string is one of the ErrorCodes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * A CoreError again from its wire form: of its own class where that class is registered (CoreError where
 * not), with its code, message, stack, fields and cause chain. What was not a CoreError (a TypeError, a
 * thrown string) or carries an unknown code becomes a CoreError with code 'internal' that keeps its name
 * and message.
 */
export function deserializeError(s: SerializedError): CoreError {
  const known = isErrorCode(s.code);
  const cause = s.cause ? deserializeError(s.cause) : undefined;
  const e = new CoreError(known ? s.code as ErrorCode : 'internal', String(s.message), cause ? { cause } : undefined);
  const cls = known ? classes.get(s.name) : undefined;
  if (cls) Object.setPrototypeOf(e, cls.prototype);
  if (s.fields) {
    for (const [k, v] of Object.entries(s.fields)) if (!OWN.has(k)) Object.defineProperty(e, k, { value: v, enumerable: true, configurable: true });
  }
  // the original's own name (a class field, so an own property) and stack, where it was thrown
  Object.defineProperty(e, 'name', { value: String(s.name || 'Error'), enumerable: true, configurable: true });
  if (s.stack !== undefined) Object.defineProperty(e, 'stack', { value: s.stack, writable: true, configurable: true });
  return e;
}

registerErrorClass('CoreError', CoreError);
registerErrorClass('DigestMismatchError', DigestMismatchError);
registerErrorClass('SizeMismatchError', SizeMismatchError);
registerErrorClass('TarError', TarError);
registerErrorClass('ArchiveError', ArchiveError);
