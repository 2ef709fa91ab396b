/**
 * Small JSON records kept by a key of the caller's making (a hex digest): what a cache knows about an entry
 * beside its blob, e.g. a built layer's digest and the packages it holds. A record is written whole or not
 * at all, so a reader never sees half of one.
 */

/** Records by key; keys are lowercase hex (safe as file names everywhere). */
export interface RecordStore {
  /** the record's text, or undefined */
  read(key: string): Promise<string | undefined>;
  /** writes the record whole (replacing one already there) */
  write(key: string, text: string): Promise<void>;
  /** removes the record (nothing happens when it is absent) */
  remove(key: string): Promise<void>;
  /** every key held */
  keys(): Promise<string[]>;
}

const KEY = /^[0-9a-f]{16,128}$/;

/** Checks a record key: lowercase hex, so it is a plain file name in a folder or OPFS. */
export function checkRecordKey(key: string): string {
  if (!KEY.test(key)) throw new TypeError(`a record key is lowercase hex, not "${key}"`);
  return key;
}

/** A RecordStore in memory (tests, and where no persistent storage exists). */
export function memoryRecordStore(): RecordStore {
  const m = new Map<string, string>();
  return {
    async read(k) { return m.get(checkRecordKey(k)); },
    async write(k, t) { m.set(checkRecordKey(k), t); },
    async remove(k) { m.delete(checkRecordKey(k)); },
    async keys() { return [...m.keys()]; },
  };
}
