/**
 * react-query over the cache: its summary and the build history as queries, the cap, Clear and Save again as
 * mutations (Save again on the build worker, queued behind a running build like any build).
 */
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { buildHistory, cacheSummary, clearCache, requestPersistentStorage, setCacheCap } from '../bridge/cache-bridge';
import { buildBridge, proxyBase, type BuiltImage } from '../bridge/registry-bridge';

/** The cache panel's data (entries, total, cap, OPFS availability, the storage estimate). */
export const cacheSummaryQuery = () => queryOptions({ queryKey: ['cache-summary'], queryFn: cacheSummary, staleTime: 0 });

/** The build history, newest first. */
export const historyQuery = () => queryOptions({ queryKey: ['build-history'], queryFn: buildHistory, staleTime: 0 });

/** Asks once for persistent storage (the cache then survives storage pressure). */
export const persistQuery = () => queryOptions({ queryKey: ['persist-storage'], queryFn: requestPersistentStorage, staleTime: Infinity, retry: false });

/** Sets the cache's cap; the summary is read again. */
export function useSetCacheCap() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: setCacheCap, onSuccess: () => qc.invalidateQueries({ queryKey: ['cache-summary'] }) });
}

/** Clears the cache (waits for running builds in any tab). */
export function useClearCache() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: clearCache, onSettled: () => qc.invalidateQueries({ queryKey: ['cache-summary'] }) });
}

/** A history entry written again from the cache; the result's `url` is an object URL of the tar when no file was picked. */
export function useSaveAgain() {
  const qc = useQueryClient();
  return useMutation({
    mutationKey: ['save-again'],
    retry: false,
    mutationFn: async ({ id, handle }: { id: number; handle?: FileSystemFileHandle }): Promise<BuiltImage & { url?: string }> => {
      const built = await buildBridge.run((api) => api.saveAgain(proxyBase(), id, handle));
      return { ...built, ...(built.file ? { url: URL.createObjectURL(built.file) } : {}) };
    },
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: ['build-history'] }), qc.invalidateQueries({ queryKey: ['cache-summary'] })]),
  });
}
