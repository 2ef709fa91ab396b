/**
 * The resolver's view of one or more indexes (`--index-url` and `--extra-index-url`): a project's files from
 * every index that has it, merged as pip merges them, with a warning when more than one does (a name on two
 * indexes is how dependency confusion happens).
 */
import { fetchWheelMetadata, findProjectPage, type IndexFetch, type IndexFile } from './index-client';
import type { ResolverSource } from './resolver';

/** A ResolverSource over the given indexes, the first being the main one. */
export function indexSource(doFetch: IndexFetch, indexUrls: readonly string[], warn: (message: string) => void = () => {}): ResolverSource {
  return {
    async files(key) {
      const pages = await Promise.all(indexUrls.map((u) => findProjectPage(doFetch, u, key)));
      const found = pages.flatMap((p, i) => (p ? [{ page: p, index: indexUrls[i]! }] : []));
      if (found.length > 1) warn(`${key} is on more than one index (${found.map((f) => f.index).join(', ')}): their files are merged`);
      return found.flatMap((f): readonly IndexFile[] => f.page.files);
    },
    metadata: (file) => fetchWheelMetadata(doFetch, file),
  };
}
