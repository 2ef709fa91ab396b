/**
 * A realistic explicit lock for tests: the newest build of each of the first `n` package names of
 * anaconda's `r` channel (linux-64 repodata snapshot in the shared fixtures), under a made-up channel URL.
 */
import { readFileSync } from 'node:fs';
import { writeExplicitLock } from '../core/conda/explicit-lock';
import { parseRepodata } from '../core/conda/repodata';
import type { PackageRecord } from '../core/conda/types';
import { fixture } from './fixtures';

/** The channel base URL the records are given. */
export const R_CHANNEL = 'https://repo.example.org/pkgs/r/';

/** The channel's repodata document, `n` of its records (one per name, newest version) and their explicit lock. */
export function rChannelLock(n: number): { doc: { packages: Record<string, unknown> }; records: PackageRecord[]; lock: string } {
  const doc = JSON.parse(readFileSync(fixture('conda/tests/data/repodata/r_linux-64.json'), 'utf8')) as { packages: Record<string, unknown> };
  const newest = new Map<string, PackageRecord>();
  for (const r of parseRepodata(doc, R_CHANNEL, 'linux-64')) {
    const had = newest.get(r.name);
    if (!had || had.version.localeCompare(r.version, undefined, { numeric: true }) < 0) newest.set(r.name, r);
  }
  const records = [...newest.values()].slice(0, n);
  return { doc, records, lock: writeExplicitLock(records, 'linux-64') };
}
