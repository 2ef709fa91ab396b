/** Plain records shared by the channel reader, the solver, the planner and the installer. */

/**
 * A package as a channel's repodata (or a solve, or a conda-meta record) describes it: where it comes from and
 * how to verify it. Plain data, so it survives postMessage.
 */
export interface PackageRecord {
  name: string;
  version: string;
  build: string;
  buildNumber: number;
  subdir: string;
  /** upstream URL of the archive */
  url: string;
  /** channel base URL (without the subdir), ending in `/` */
  channel: string;
  /** archive file name */
  fn: string;
  sha256?: string;
  md5?: string;
  size?: number;
  depends: string[];
}
