/**
 * The browser's network for registries and conda channels: a `fetch` that sends every request through the
 * CORS proxy (`<proxyBase>/<host[:port]>/<path>`), because registries and blob storage answer browsers
 * without CORS headers. URLs already on the proxy (token realms the proxy rewrote, upload Locations) pass
 * as they are, and so do URLs on the proxy's own origin (the app's files, such as its offline sample
 * channel): the browser reads those directly, and the proxy would refuse to call its own origin.
 * The proxy decides http or https per upstream from its own configuration.
 */

/** The origin of an absolute `proxyBase` (undefined for a path such as '' or '/proxy'). */
function originOf(proxyBase: string): string | undefined {
  try { return new URL(proxyBase).origin; } catch { return undefined; }
}

/** Rewrites an upstream URL to its proxied form; URLs under `proxyBase` or on its origin are returned unchanged. */
export function proxiedUrl(proxyBase: string, url: string): string {
  const base = proxyBase.replace(/\/+$/, '');
  if (url.startsWith(base + '/')) return url;
  const u = new URL(url);
  if (u.origin === originOf(base)) return url;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`cannot proxy ${u.protocol} URLs`);
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  const host = u.port && u.port !== defaultPort ? u.host : u.protocol === 'http:' ? `${u.hostname}:80` : u.hostname;
  return `${base}/${host}${u.pathname}${u.search}`;
}

/** A fetch that routes through the proxy at `proxyBase` (e.g. `${location.origin}/proxy`). */
export function proxiedFetch(proxyBase: string, inner: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    const target = proxiedUrl(proxyBase, url);
    if (input instanceof Request) return inner(new Request(target, input), init);
    // never send cookies of the app's origin along
    return inner(target, { ...init, credentials: 'omit' });
  };
}
