/**
 * The version of the layer builder's output (layer-job.ts and what it calls: install, tar writer): raise it
 * whenever a change makes the same packages, prefix, python, plan and epoch give different layer bytes.
 * Share links carry it (a link made by another version may not rebuild the same digest) and cached built
 * layers are keyed by it. A module of its own so the page can read it without loading the layer builder.
 */
export const LAYER_FORMAT_VERSION = 1;
