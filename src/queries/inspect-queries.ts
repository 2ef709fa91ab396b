/**
 * react-query hooks over the inspect bridge, keyed by the input's identity (one key per pick/drop):
 * the opened archive, the index of its images, pages of tree rows, conda records and raw members.
 */
import { keepPreviousData, useQuery, useQueries } from '@tanstack/react-query';
import { inspectBridge } from '../bridge/inspect-bridge';
import type { TreeSource } from '../core/inspect/session';
import { useInspectorStore, type InspectorInput } from '../state/inspector-store';

/** Rows fetched per request. */
export const ROW_PAGE = 256;

/** Opens the input in the worker. `id` names the archive in later calls. */
export function useArchive(input: InspectorInput | undefined) {
  return useQuery({
    queryKey: ['archive', input?.key],
    enabled: !!input,
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
    // no abort signal: aborting terminates the shared worker; a replaced archive is closed instead (closeArchive)
    queryFn: async () => {
      const i = input!;
      const res = await inspectBridge.run((api) => i.kind === 'file' ? api.openFile(i.file)
        : i.kind === 'folder' ? api.openFolder(i.files) : api.openSample());
      // replaced while it was opening: nobody will show it, release it now
      if (useInspectorStore.getState().input?.key !== i.key) void inspectBridge.run((api) => api.close(res.id));
      return { id: res.id, overview: res.overview, generation: inspectBridge.generation };
    },
  });
}

/** Indexes every image of the archive (one after the other). */
export function useArchiveIndex(id: number | undefined, images: number) {
  return useQuery({
    queryKey: ['index', id],
    enabled: id !== undefined,
    staleTime: Infinity,
    retry: false,
    queryFn: async () => {
      const out = [];
      for (let i = 0; i < images; i++) out.push(await inspectBridge.run((api) => api.indexImage(id!, i)));
      return out;
    },
  });
}

/** The pages of rows covering visible rows `from..to` of one tree. */
export function useTreePages(id: number, img: number, source: TreeSource, collapsed: string[], filter: string, from: number, to: number) {
  const first = Math.floor(from / ROW_PAGE);
  const last = Math.max(first, Math.floor(to / ROW_PAGE));
  const pages = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const ckey = collapsed.slice().sort().join('\n');
  return useQueries({
    queries: pages.map((page) => ({
      queryKey: ['rows', id, img, source, ckey, filter, page],
      staleTime: Infinity,
      retry: false,
      placeholderData: keepPreviousData,
      queryFn: () => inspectBridge.run((api) => api.treeRows(id, img, source, { offset: page * ROW_PAGE, count: ROW_PAGE, collapsed, filter })),
    })),
  });
}

/** conda-meta records of one layer. */
export function useCondaPackages(id: number, img: number, layer: number) {
  return useQuery({
    queryKey: ['conda', id, img, layer],
    staleTime: Infinity,
    retry: false,
    queryFn: () => inspectBridge.run((api) => api.condaPackages(id, img, layer)),
  });
}

/** A raw archive member as text. */
export function useMember(id: number, name: string | undefined) {
  return useQuery({
    queryKey: ['member', id, name],
    enabled: !!name,
    staleTime: Infinity,
    retry: false,
    queryFn: () => inspectBridge.run((api) => api.readMember(id, name!)),
  });
}

/** Starts the inspect worker ahead of the first file (module loading takes ~100 ms). */
export function warmInspector(): void {
  void inspectBridge.run((api) => api.ping());
}

/** Releases an archive in the worker and stops its indexing (when the page moves on to another input). */
export function closeArchive(id: number, generation: number): void {
  if (generation === inspectBridge.generation) void inspectBridge.run((api) => api.close(id));
}

/** Fetches one file's body from the worker and hands it to the browser as a download. */
export async function downloadLayerFile(id: number, img: number, layer: number, path: string): Promise<void> {
  const blob = await inspectBridge.run((api) => api.readFile(id, img, layer, path));
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = path.slice(path.lastIndexOf('/') + 1) || 'file';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
