/**
 * Save again: a build from the history written once more, from the cache. The history keeps the form and the
 * solved lock (one per platform of a multi-platform build), so the environment is installed from that lock on
 * the base pinned by its digest: every package and layer comes from the cache (nothing is downloaded or built while they are there), and the archive is
 * the same bytes, which is checked against the sha256 recorded.
 */
import { digestStream } from '../src/core/digest';
import { CoreError } from '../src/core/errors';
import { buildInWorker, type BuildProgress, type BuiltImage } from './build-job';
import { cacheParts, type EnvironmentInput } from './environment-input';

/** The form fields a history entry keeps (see historyForm). */
interface HistoryForm extends Omit<EnvironmentInput, 'base' | 'channels'> {
  base: { ref: string; platform: string; digest: string } | { file: string };
  channels: { url: string; folder?: string }[];
}

/** Writes history entry `id` again to `handle` (or an OPFS file returned for download). */
export async function saveAgain(proxyBase: string, id: number, handle: FileSystemFileHandle | undefined, onProgress?: (p: BuildProgress) => void): Promise<BuiltImage> {
  const parts = await cacheParts();
  if (!parts) throw new CoreError('invalid-argument', 'this browser gives the app no origin-private file system (OPFS), so nothing is cached to save again from');
  const h = await parts.catalog.historyEntry(id);
  if (!h) throw new CoreError('invalid-argument', `build ${id} is no longer in the history`);
  const form = h.form as unknown as HistoryForm;
  if ('file' in form.base) throw new CoreError('invalid-argument', `this build's base was the file ${form.base.file}: pick it again in the form and build`);
  const folder = form.channels.find((c) => c.folder);
  if (folder) throw new CoreError('invalid-argument', `this build read the local channel folder ${folder.folder}: pick it again in the form and build`);
  const pinned = form.base.ref.includes('@') ? form.base.ref : `${form.base.ref}@${form.base.digest}`;
  const locks = h.platformLocks ? { platformLocks: h.platformLocks } : { lock: h.lock };
  const input: EnvironmentInput = { ...form, base: { ref: pinned, platform: form.base.platform }, channels: form.channels.map((c) => ({ url: c.url })), ...locks };
  const built = await buildInWorker(proxyBase, input, { tag: h.tag, epoch: h.epoch, record: false, ...(handle ? { handle } : {}) }, onProgress);
  const archive = built.file ?? await handle!.getFile();
  const archiveSha256 = (await digestStream(archive.stream())).digest;
  if (archiveSha256 !== h.archiveSha256) built.warnings.push(`the archive differs from the one first built (${archiveSha256}, then ${h.archiveSha256})`);
  built.history = { id, archiveSha256 };
  return built;
}
