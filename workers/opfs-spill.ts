/**
 * Worker helper: stores the decompressed tar of a gzip-wrapped save in the origin-private file system
 * (OPFS, written through a sync access handle) and returns it as a File, so the page never holds a
 * whole decompressed archive in memory. Falls back to memory where OPFS is unavailable. Files live in
 * `inspector-spill/`; each is removed when its archive is closed, leftovers of closed tabs after a day.
 */

const DIR = 'inspector-spill';
const STALE_MS = 24 * 3600 * 1000;

interface SyncHandle { write(b: Uint8Array, o: { at: number }): number; flush(): void; close(): void }

async function spillDir(): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(DIR, { create: true });
  } catch {
    return undefined;
  }
}

/** A spill function for readImageArchive, plus the names of the files it made (to remove on close). */
export function makeOpfsSpill(): { spill: (s: ReadableStream<Uint8Array>) => Promise<Blob>; names: string[] } {
  const names: string[] = [];
  const spill = async (stream: ReadableStream<Uint8Array>): Promise<Blob> => {
    const dir = await spillDir();
    const fh = dir && await dir.getFileHandle(`${crypto.randomUUID()}.tar`, { create: true }).catch(() => undefined);
    const open = fh && (fh as unknown as { createSyncAccessHandle?: () => Promise<SyncHandle> }).createSyncAccessHandle;
    if (!dir || !fh || !open) return new Response(stream).blob();
    names.push(fh.name);
    const h = await open.call(fh);
    try {
      let at = 0;
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) at += h.write(chunk, { at });
      h.flush();
    } finally {
      h.close();
    }
    return fh.getFile();
  };
  return { spill, names };
}

/** Removes spill files by name (errors ignored: a file may be gone already). */
export async function removeSpilled(names: string[]): Promise<void> {
  const dir = await spillDir();
  for (const n of names) await dir?.removeEntry(n).catch(() => {});
}

/** Removes spill files older than a day (left by tabs that closed without cleaning up). */
export async function removeStaleSpills(): Promise<void> {
  const dir = await spillDir();
  if (!dir) return;
  for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (h.kind !== 'file') continue;
    const f = await (h as FileSystemFileHandle).getFile().catch(() => undefined);
    if (f && Date.now() - f.lastModified > STALE_MS) await dir.removeEntry(name).catch(() => {});
  }
}
