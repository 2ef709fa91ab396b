/**
 * What the Compare view compares (zustand): image A and image B, each a picked or dropped tarball or a
 * registry reference. Other views feed an image in with `compareWith` (a build just made, a history entry),
 * which also asks the page to show the Compare view.
 */
import { create } from 'zustand';

/** One side of a comparison: a tarball (File) or a reference with its platform. */
export type CompareInput = { kind: 'file'; file: File } | { kind: 'ref'; ref: string; platform: string };

/** The Compare view's store. */
export interface CompareState {
  a?: CompareInput;
  b?: CompareInput;
  /** raised by `compareWith`: the page shows the Compare view when it changes */
  revealed: number;
  setSide(side: 'a' | 'b', input: CompareInput | undefined): void;
  /** puts `input` on `side` and asks the page to show the Compare view */
  compareWith(side: 'a' | 'b', input: CompareInput): void;
}

/** The Compare view's store. */
export const useCompareStore = create<CompareState>()((set) => ({
  revealed: 0,
  setSide: (side, input) => set({ [side]: input }),
  compareWith: (side, input) => set((s) => ({ [side]: input, revealed: s.revealed + 1 })),
}));

/** A key naming an input (a file by name, size and time). */
export const compareInputKey = (i: CompareInput | undefined): string =>
  !i ? '' : i.kind === 'file' ? `file:${i.file.name}:${i.file.size}:${i.file.lastModified}` : `ref:${i.ref.trim()}:${i.platform}`;
