/** A registry client whose every request (token realms included) goes through the page's CORS proxy. */
import { proxiedFetch } from '../src/core/net/proxied-fetch';
import { RegistryClient, type Credentials } from '../src/core/registry';

/** A client for `proxyBase` (`<origin>/proxy`); `creds` stay in this call's memory. */
export function proxiedRegistryClient(proxyBase: string, creds?: Credentials): RegistryClient {
  return new RegistryClient({ fetch: proxiedFetch(proxyBase), credentials: () => creds, insecure: () => false });
}
