/**
 * What the user controls in the inspector (zustand): the chosen input, image, tab, layer, collapsed
 * directories and filter. No bytes: the input is a File reference (or the sample), read by the worker.
 */
import { create } from 'zustand';

/** What the user opened. `key` identifies it for react-query (one per pick or drop). */
export type InspectorInput = InputChoice & { key: string };

/** An input before it gets its key. */
export type InputChoice =
  | { kind: 'file'; file: File }
  | { kind: 'folder'; files: Array<{ path: string; file: File }> }
  | { kind: 'sample' };

/** The detail tabs under the layer table. */
export type InspectorTab = 'files' | 'merged' | 'largest' | 'conda' | 'raw';

/** The inspector's selection state. */
export interface InspectorState {
  input?: InspectorInput;
  image: number;
  tab: InspectorTab;
  layer: number;
  /** collapsed directory paths, per `${image}:${layer | 'merged'}` */
  collapsed: Record<string, string[]>;
  filter: string;
  member?: string;
  openInput(input: InputChoice & { key?: string }): void;
  selectImage(i: number): void;
  selectTab(t: InspectorTab): void;
  selectLayer(l: number): void;
  toggleCollapsed(view: string, path: string): void;
  setCollapsed(view: string, path: string, collapsed: boolean): void;
  setFilter(f: string): void;
  selectMember(name: string): void;
}

let picks = 0;

/** The inspector store. */
export const useInspectorStore = create<InspectorState>()((set) => ({
  image: 0,
  tab: 'files',
  layer: 0,
  collapsed: {},
  filter: '',
  openInput: (input) => set({
    input: { ...input, key: input.key ?? `${input.kind}-${++picks}` },
    image: 0, layer: 0, tab: 'files', collapsed: {}, filter: '', member: undefined,
  }),
  selectImage: (image) => set({ image, layer: 0, collapsed: {}, filter: '' }),
  selectTab: (tab) => set({ tab }),
  selectLayer: (layer) => set({ layer, tab: 'files' }),
  toggleCollapsed: (view, path) => set((s) => {
    const cur = s.collapsed[view] ?? [];
    const next = cur.includes(path) ? cur.filter((p) => p !== path) : [...cur, path];
    return { collapsed: { ...s.collapsed, [view]: next } };
  }),
  setCollapsed: (view, path, collapsed) => set((s) => {
    const cur = s.collapsed[view] ?? [];
    if (cur.includes(path) === collapsed) return {};
    return { collapsed: { ...s.collapsed, [view]: collapsed ? [...cur, path] : cur.filter((p) => p !== path) } };
  }),
  setFilter: (filter) => set({ filter }),
  selectMember: (member) => set({ member }),
}));
