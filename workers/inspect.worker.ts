/**
 * The inspect worker: opens a dropped archive (a File, or the files of an OCI layout folder) with the
 * core's InspectSession and answers the page's questions with summaries and pages of rows. Archives,
 * images and streams stay here; only plain data and Blobs cross.
 */
import { expose } from 'comlink';
import { folderFromFileList } from '../src/core/image';
import { InspectSession, type TreeSource } from '../src/core/inspect';
import { registerErrorTransfer } from './error-transfer';
import { makeOpfsSpill, removeSpilled, removeStaleSpills } from './opfs-spill';
import { makeSampleArchive } from './sample-archive';

registerErrorTransfer();
void removeStaleSpills();

const sessions = new Map<number, InspectSession>();
const aborts = new Map<number, AbortController>();
const spilled = new Map<number, string[]>();
let nextId = 1;

function session(id: number): InspectSession {
  const s = sessions.get(id);
  if (!s) throw new Error(`archive ${id} is closed`);
  return s;
}

async function register(s: InspectSession, spills: string[] = []) {
  const id = nextId++;
  sessions.set(id, s);
  aborts.set(id, new AbortController());
  spilled.set(id, spills);
  return { id, overview: s.overview };
}

const api = {
  /** Answers once the worker has loaded (the page starts it early so the first file does not wait for it). */
  ping: () => true,
  /** Opens an archive file (docker save, OCI layout tar, gzip-wrapped); only headers and JSON members are read. */
  async openFile(file: File) {
    // a gzip-wrapped save is decompressed once into OPFS, not into memory
    const { spill, names } = makeOpfsSpill();
    try {
      return await register(await InspectSession.open(file, file.name, { spill }), names);
    } catch (e) {
      await removeSpilled(names);
      throw e;
    }
  },
  /** Opens an OCI layout folder given as its files with their relative paths (first segment = the folder). */
  async openFolder(files: Array<{ path: string; file: File }>) {
    const name = files[0]?.path.split('/')[0] ?? 'folder';
    return register(await InspectSession.open(folderFromFileList(files), name));
  },
  /** Builds the built-in sample archive here and opens it; the File is returned for downloads. */
  async openSample() {
    const file = await makeSampleArchive();
    return { ...(await register(await InspectSession.open(file, file.name))), file };
  },
  /** Indexes every layer of one image and merges them. */
  indexImage: (id: number, img: number) => session(id).indexImage(img, { signal: aborts.get(id)?.signal }),
  /** A page of tree rows of a layer or of the merged filesystem. */
  treeRows: (id: number, img: number, source: TreeSource, q: { offset: number; count: number; collapsed?: string[]; filter?: string }) =>
    session(id).treeRows(img, source, q),
  /** conda-meta records of one layer. */
  condaPackages: (id: number, img: number, layer: number) => session(id).condaPackages(img, layer),
  /** One file's body (a slice of the archive for uncompressed layers). */
  readFile: (id: number, img: number, layer: number, path: string) => session(id).readFile(img, layer, path),
  /** A raw member as text. */
  readMember: (id: number, name: string) => session(id).readMember(name),
  /** Forgets an archive and stops work still running on it (its pending calls reject). */
  close(id: number) {
    aborts.get(id)?.abort(new DOMException('the archive was closed', 'AbortError'));
    aborts.delete(id);
    sessions.delete(id);
    void removeSpilled(spilled.get(id) ?? []);
    spilled.delete(id);
  },
};

expose(api);
/** The worker's API as the bridge sees it. */
export type InspectApi = typeof api;
