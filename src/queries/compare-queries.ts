/**
 * react-query over the compare worker: the comparison of two inputs, keyed by both (a query replaced in
 * flight is cancelled, which terminates the compare worker).
 */
import { queryOptions } from '@tanstack/react-query';
import { compareBridge, type CompareSide, type ImageComparison } from '../bridge/compare-bridge';
import { proxyBase } from '../bridge/registry-bridge';
import { compareInputKey, type CompareInput } from '../state/compare-store';

export type { ImageComparison };

const sideOf = (i: CompareInput): CompareSide => (i.kind === 'file' ? { file: i.file } : { ref: i.ref.trim(), platform: i.platform });

/** The comparison of A with B (`enabled` once the user asks and both sides are set). */
export function compareQuery(a: CompareInput | undefined, b: CompareInput | undefined, enabled: boolean) {
  return queryOptions({
    queryKey: ['compare', compareInputKey(a), compareInputKey(b)],
    queryFn: ({ signal }) => compareBridge.run((api) => api.compare(proxyBase(), sideOf(a!), sideOf(b!)), signal),
    enabled: enabled && !!a && !!b,
    retry: false,
    staleTime: Infinity,
    gcTime: 60_000,
  });
}
