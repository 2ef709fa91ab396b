/**
 * A wheel's RECORD (PEP 376 / 427): CSV rows of path, `sha256=<urlsafe base64 without padding>` and size.
 * Read to verify a wheel's members; written again with the installed paths, as pip does.
 */
import { CoreError } from '../errors';

/** One RECORD row. */
export interface RecordRow { readonly path: string; readonly hash: string; readonly size: string }

/** Parses RECORD (CSV with optional double-quoted fields); throws 'archive-invalid' on a broken row. */
export function parseRecord(text: string, what: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const fields: string[] = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let v = '';
        i++;
        for (;;) {
          if (i >= line.length) throw new CoreError('archive-invalid', `${what}: unterminated quote in RECORD line "${line}"`);
          if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++];
        }
        fields.push(v);
        i++; // the comma
      } else {
        const j = line.indexOf(',', i);
        fields.push(line.slice(i, j < 0 ? line.length : j));
        i = j < 0 ? line.length + 1 : j + 1;
      }
    }
    if (fields.length !== 3) throw new CoreError('archive-invalid', `${what}: RECORD line "${line}" does not have 3 fields`);
    rows.push({ path: fields[0]!, hash: fields[1]!, size: fields[2]! });
  }
  return rows;
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes RECORD rows sorted by path, as pip writes them (`\n` line ends). */
export function formatRecord(rows: readonly RecordRow[]): string {
  return [...rows].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((r) => `${csvField(r.path)},${csvField(r.hash)},${csvField(r.size)}\n`).join('');
}

/** `sha256=<urlsafe base64, no padding>` of a hex sha256. */
export function recordHash(hex: string): string {
  let bin = '';
  for (let i = 0; i < hex.length; i += 2) bin += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return `sha256=${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}
