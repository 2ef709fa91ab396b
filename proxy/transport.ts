/** What the handler needs from a transport (web-standard types only, so the handler runs on any runtime). */

/** An upstream fetch without redirects: `url` is absolute http(s). */
export type Transport = (url: URL, init: { method: string; headers: Headers; body?: ReadableStream<Uint8Array> | null; signal: AbortSignal; idleTimeoutMs: number }) => Promise<Response>;

/** A request the transport refused before connecting. */
export class ForbiddenAddressError extends Error {
  override readonly name = 'ForbiddenAddressError';
  readonly code = 'forbidden-address';
}
