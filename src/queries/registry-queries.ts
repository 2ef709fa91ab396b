/**
 * react-query over the Build view's bridges: tag lookups are queries (keyed by repository and user,
 * cancelled when the field moves on), saving an image is a mutation on the build worker with progress
 * and a cancel of its own.
 */
import { queryOptions, useMutation } from '@tanstack/react-query';
import { proxy } from 'comlink';
import { useRef, useState } from 'react';
import { buildBridge, proxyBase, registryBridge, type PullProgress, type SavedImage } from '../bridge/registry-bridge';
import { isCancelled } from '../bridge/worker-bridge';
import type { Credentials } from '../core/registry';

export type { PullProgress };
export { isCancelled };

/**
 * Retries a query only when it was cancelled under it: another lookup's abort stopped the shared worker.
 * A query cancelled itself is never retried (react-query drops it).
 */
export const retryWhenCancelled = (failures: number, error: unknown): boolean => isCancelled(error) && failures < 3;

/** Tags of `repo` for autocomplete; the password stays out of the key, the user name tells accounts apart. */
export function tagsQuery(repo: string, creds?: Credentials) {
  return queryOptions({
    queryKey: ['tags', repo, creds?.username ?? ''],
    queryFn: ({ signal }) => registryBridge.run((api) => api.listTags(proxyBase(), repo, creds), signal),
    enabled: repo.length > 1,
    retry: retryWhenCancelled,
    retryDelay: 0,
    staleTime: 5 * 60_000,
  });
}

/** What to save: a reference, a platform (`os/arch[/variant]`), credentials, and the picked file if any. */
export interface SaveImageInput {
  ref: string;
  platform: string;
  creds?: Credentials;
  /** the file the user picked; without one the tar is offered as a download */
  handle?: FileSystemFileHandle;
}

/** A finished save; `url` is an object URL of the tar when no file was picked. */
export type SaveImageResult = Omit<SavedImage, 'file'> & { url?: string };

function parsePlatform(p: string) {
  const [os, architecture, variant] = p.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Saving an image as a mutation on the build worker: `progress` of the running save, and `cancel()`,
 * which terminates the build worker and settles the save as cancelled (see `isCancelled`).
 */
export function useSaveImage() {
  const [progress, setProgress] = useState<PullProgress>();
  const controller = useRef<AbortController | undefined>(undefined);
  const url = useRef<string | undefined>(undefined);
  const mutation = useMutation({
    mutationKey: ['save-image'],
    retry: false,
    mutationFn: async (input: SaveImageInput): Promise<SaveImageResult> => {
      const ac = new AbortController();
      controller.current = ac;
      setProgress(undefined);
      if (url.current) URL.revokeObjectURL(url.current);
      url.current = undefined;
      const { file, ...saved } = await buildBridge.run((api) => api.saveImage(proxyBase(), input.ref, parsePlatform(input.platform), input.creds,
        input.handle, proxy((p: PullProgress) => { if (!ac.signal.aborted) setProgress(p); })), ac.signal);
      url.current = file ? URL.createObjectURL(file) : undefined;
      return { ...saved, url: url.current };
    },
  });
  return { ...mutation, progress, cancel: () => controller.current?.abort() };
}
