/**
 * Opening a share link: the fragment is read (see share-link.ts) and, only when it reads whole, the build
 * draft is replaced by its fields and lock. What the user should know (a link that cannot be read, one made
 * by a layer builder of another version) is kept in a small store for the Build view to show.
 */
import { create } from 'zustand';
import { LAYER_FORMAT_VERSION } from '../core/pipeline/layer-format';
import { useBuildDraft } from './build-draft';
import { decodeShareLink, draftOfShareLink, isShareFragment } from './share-link';

/** What opening the last share link left to say. */
export interface ShareNotice {
  /** the link could not be read (the form was left as it was) */
  error?: string;
  /** the link was read, with something to beware of */
  warning?: string;
  /** the form holds a link's fields */
  opened?: boolean;
}

/** The notice of the last share link opened. */
export const useShareNotice = create<ShareNotice>()(() => ({}));

/** Opens the share link in `fragment` (location.hash) into the build draft; other fragments are ignored. */
export function openShareFragment(fragment: string): void {
  if (!isShareFragment(fragment)) return;
  let link;
  try {
    link = decodeShareLink(fragment);
  } catch (e) {
    useShareNotice.setState({ error: (e as Error).message, warning: undefined }, true);
    return;
  }
  const { patch, channels, specs } = draftOfShareLink(link);
  const draft = useBuildDraft.getState();
  draft.replaceLists(channels, specs);
  draft.set({ ...patch, creds: undefined });
  const warning = link.layerFormat === LAYER_FORMAT_VERSION ? undefined
    : `This link was made by a version of docker-envs whose layers have format ${link.layerFormat}; this one writes format ${LAYER_FORMAT_VERSION}. `
      + 'The same packages will be installed, but the image digest may differ from the one the link was made with.';
  useShareNotice.setState({ opened: true, ...(warning ? { warning } : {}) }, true);
}
