/** Human-readable byte size (1024-based, like docker and dive). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Renders rows as a left-aligned text table; numbers-looking columns are right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^[\d.,]+( [kMGT]?B)?$|^-$/.test(r[c] ?? '')));
  const line = (r: string[]) => r.map((cell, c) => {
    const s = cell ?? '';
    return c === r.length - 1 && !numeric[c] ? s : numeric[c] ? s.padStart(widths[c]) : s.padEnd(widths[c]);
  }).join('  ').trimEnd();
  return all.map(line).join('\n');
}

/** `ls -l`-style mode string for a tar entry type and permission bits. */
export function formatMode(type: string, mode: number): string {
  const t = ({ directory: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' } as Record<string, string>)[type] ?? '-';
  const rwx = (bits: number, special: boolean, ch: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-');
  return t + rwx((mode >> 6) & 7, !!(mode & 0o4000), 's') + rwx((mode >> 3) & 7, !!(mode & 0o2000), 's') + rwx(mode & 7, !!(mode & 0o1000), 't');
}

/** Cuts a string to `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}
