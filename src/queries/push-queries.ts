/**
 * The push of a built image as a react-query mutation on the build worker (one long job at a time, its
 * cancel terminates that worker), with its progress.
 */
import { useMutation } from '@tanstack/react-query';
import { proxy } from 'comlink';
import { useRef, useState } from 'react';
import { buildBridge, proxyBase, type PushedImage, type PushProgress } from '../bridge/registry-bridge';
import type { Credentials } from '../core/registry';

export type { PushedImage, PushProgress };

/**
 * What a push is asked for: the built archive, the target reference and the credentials for it; `platforms`
 * for a multi-platform build's archive (an image index is pushed).
 */
export interface PushInput { archive: File; ref: string; creds?: Credentials; platforms?: string[] }

/** The push mutation with its last progress snapshot and `cancel()`. */
export function usePush() {
  const [progress, setProgress] = useState<PushProgress | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);
  const mutation = useMutation({
    mutationKey: ['push'],
    retry: false,
    mutationFn: async ({ archive, ref, creds, platforms }: PushInput): Promise<PushedImage> => {
      const ac = new AbortController();
      controller.current = ac;
      setProgress(undefined);
      const onProgress = (p: PushProgress) => { if (!ac.signal.aborted) setProgress(p); };
      return buildBridge.run((api) => api.push(proxyBase(), archive, ref, creds, proxy(onProgress), platforms), ac.signal);
    },
  });
  return { ...mutation, progress, cancel: () => controller.current?.abort() };
}
