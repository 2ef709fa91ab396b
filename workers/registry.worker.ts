/**
 * The registry worker: short lookups the page may cancel at any time (tags for autocomplete), which
 * terminates this worker. Long jobs (saving an image) run in the build worker, so a cancelled lookup
 * never takes one down.
 */
import { expose } from 'comlink';
import { listTags, parseReference, type Credentials } from '../src/core/registry';
import { registerErrorTransfer } from './error-transfer';
import { proxiedRegistryClient } from './registry-client';

registerErrorTransfer();

const api = {
  /** Tags of the repository `ref` names (for autocomplete), at most `max`. */
  async listTags(proxyBase: string, ref: string, creds?: Credentials, max = 500): Promise<string[]> {
    return listTags(proxiedRegistryClient(proxyBase, creds), parseReference(ref), { max, pageSize: 200 });
  },
};
expose(api);
export type RegistryApi = typeof api;
