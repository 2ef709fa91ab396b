/**
 * What browsers are told: which origins may call the proxy (CORS), and headers that keep relayed
 * upstream bodies inert. Everything under the proxy's prefix is served from the proxy's own origin (the
 * app's, inside `npm start`'s server), so a relayed HTML or SVG body must never run there or be sniffed
 * into something that runs.
 */

/** Sent on every response under the prefix: no sniffing, and a sandboxed document that may load nothing. */
export const INERT_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
};

/** Upstream response headers that would act on the proxy's origin or compete with INERT_HEADERS. */
export const DROP_ORIGIN_HEADERS = [
  'content-security-policy', 'content-security-policy-report-only', 'x-content-type-options',
  'clear-site-data', 'service-worker-allowed',
];

const EXPOSE = [
  'www-authenticate', 'docker-content-digest', 'docker-distribution-api-version', 'content-length', 'content-range',
  'content-type', 'etag', 'location', 'link', 'retry-after', 'docker-upload-uuid', 'range', 'oci-chunk-min-length',
  'accept-ranges',
];

/** Methods the proxy forwards (the preflight grants these). */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH'];

/** The browser-facing verdict on one request. */
export type OriginVerdict =
  | { allowed: true; origin?: string }
  | { allowed: false; reason: string };

/**
 * Judges the caller. A request with an `Origin` is allowed only from `allowOrigins`, or from the
 * request's own origin when `sameOrigin` (the proxy mounted beside the app); `Origin: null` (sandboxed
 * documents, including relayed bodies) never is. Without `Origin`, a browser still says where it comes
 * from in `Sec-Fetch-Site`: another site's image, script or link (no-cors) is refused too. Clients that
 * send neither (the CLI, curl) are not browsers and are served, without CORS grants.
 */
export function judgeOrigin(req: Request, ownOrigin: string, allowOrigins: readonly string[], sameOrigin: boolean): OriginVerdict {
  const origin = req.headers.get('origin');
  if (origin !== null) {
    if (allowOrigins.includes(origin) || (sameOrigin && origin === ownOrigin)) return { allowed: true, origin };
    return { allowed: false, reason: `origin ${origin} may not call this proxy (see --allow-origin)` };
  }
  const site = req.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return { allowed: false, reason: `${site} requests without an allowed origin are refused` };
  return { allowed: true };
}

/** Adds the inert headers and, for an allowed browser origin, the CORS grant to a response the proxy built. */
export function decorate(res: Response, verdict: OriginVerdict): Response {
  for (const [k, v] of Object.entries(INERT_HEADERS)) res.headers.set(k, v);
  res.headers.append('vary', 'Origin');
  if (verdict.allowed && verdict.origin) {
    res.headers.set('access-control-allow-origin', verdict.origin);
    res.headers.set('access-control-expose-headers', EXPOSE.join(', '));
  }
  return res;
}

/** The answer to a CORS preflight from an allowed origin (the proxy answers it itself). */
export function preflight(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-methods': METHODS.join(', '),
      'access-control-allow-headers': 'authorization, accept, range, content-type, content-range',
      'access-control-max-age': '600',
    },
  });
}
