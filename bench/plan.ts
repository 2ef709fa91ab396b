/**
 * The benchmark archive's content plan: a deterministic, realistic spread of entries over a few layers
 * (many small files in a package-like tree, some large blobs, symlinks, hardlinks, and later layers that
 * overwrite and delete earlier paths). Pure: the same spec always gives the same plan.
 */

/** What to generate: roughly `bytes` of layer data in about `entries` tar entries over `layers` layers. */
export interface BenchArchiveSpec {
  /** short name used in the cache folder and the image tag */
  name: string;
  seed: number;
  layers: number;
  entries: number;
  bytes: number;
}

/** The full-size archive of the inspector row (issue 3): ~1 GB, ~50k entries. */
export const FULL_SPEC: BenchArchiveSpec = { name: 'full', seed: 3, layers: 8, entries: 50_000, bytes: 1_000_000_000 };
/** The inspector's linearity row: the same ~1 GB in four times the entries (~200k). */
export const LINEAR_SPEC: BenchArchiveSpec = { name: 'full-200k', seed: 3, layers: 8, entries: 200_000, bytes: 1_000_000_000 };
/** `--quick`'s linearity archive: the quick archive's bytes in four times its entries. */
export const QUICK_SPEC_LINEAR: BenchArchiveSpec = { name: 'quick-20k', seed: 3, layers: 4, entries: 20_000, bytes: 50_000_000 };
/** The CI-sized archive of `--quick`: ~50 MB, ~5k entries. */
export const QUICK_SPEC: BenchArchiveSpec = { name: 'quick', seed: 3, layers: 4, entries: 5_000, bytes: 50_000_000 };

/** One planned tar entry; file bodies are `size` bytes taken from the shared noise pool at `offset`. */
export interface PlannedEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  size: number;
  offset: number;
  mode: number;
  linkname?: string;
}

/** Small, fast, deterministic PRNG (mulberry32). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPS = ['usr/lib', 'usr/share', 'opt/conda/lib', 'opt/conda/pkgs', 'usr/include', 'var/lib'];
const EXTS = ['.py', '.so', '.h', '.json', '.txt', '.pyc', '.mo', '.gz', ''];

/**
 * Plans every layer's entries. About 0.2 % of the entries are large files (1–48 MB) that carry most
 * of the bytes; the rest are small files (log-normal sizes, median ~1.5 KB), directories and links.
 */
export function planArchive(spec: BenchArchiveSpec): PlannedEntry[][] {
  const rnd = createRandom(spec.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const perLayer = Math.floor(spec.entries / spec.layers);
  const largeCount = Math.max(2, Math.round(spec.entries * 0.002));
  const plans: PlannedEntry[][] = [];
  const earlierFiles: string[] = [];
  let smallBytes = 0;
  for (let l = 0; l < spec.layers; l++) {
    const out: PlannedEntry[] = [];
    const dirs = new Set<string>();
    const addDir = (path: string) => {
      const parts = path.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) { dirs.add(d); out.push({ name: `${d}/`, type: 'directory', size: 0, offset: 0, mode: 0o755 }); }
      }
    };
    const files: string[] = [];
    let pkg = 0;
    while (out.length < perLayer) {
      const dir = `${TOPS[int(TOPS.length)]}/pkg-${l}-${pkg++}${rnd() < 0.5 ? `/sub${int(4)}` : ''}`;
      addDir(dir);
      const n = 5 + int(40);
      for (let i = 0; i < n && out.length < perLayer; i++) {
        const name = `${dir}/file-${i}${EXTS[int(EXTS.length)]}`;
        const r = rnd();
        if (r < 0.05 && files.length) out.push({ name, type: 'symlink', size: 0, offset: 0, mode: 0o777, linkname: files[int(files.length)].split('/').pop() });
        else if (r < 0.06 && files.length) out.push({ name, type: 'hardlink', size: 0, offset: 0, mode: 0o644, linkname: files[int(files.length)] });
        else {
          // log-normal: median ~1.5 KB, long tail, capped at 256 KB
          const size = Math.min(262_144, Math.floor(Math.exp(7.3 + 1.6 * gaussian(rnd))));
          smallBytes += size;
          out.push({ name, type: 'file', size, offset: int(1 << 20), mode: rnd() < 0.1 ? 0o755 : 0o644 });
          files.push(name);
        }
      }
    }
    // later layers overwrite a few earlier files and delete some (wasted space, whiteouts)
    if (l > 0) {
      for (let i = 0; i < 20 && earlierFiles.length; i++) {
        const victim = earlierFiles[int(earlierFiles.length)];
        const slash = victim.lastIndexOf('/');
        addDir(victim.slice(0, slash));
        if (i % 2) out.push({ name: victim, type: 'file', size: 4096, offset: int(1 << 20), mode: 0o644 });
        else out.push({ name: `${victim.slice(0, slash)}/.wh.${victim.slice(slash + 1)}`, type: 'file', size: 0, offset: 0, mode: 0o644 });
      }
    }
    earlierFiles.push(...files);
    plans.push(out);
  }
  // large files: the rest of the byte budget, spread over the layers
  const remaining = Math.max(0, spec.bytes - smallBytes - spec.entries * 1024);
  const weights = Array.from({ length: largeCount }, () => 0.2 + rnd());
  const total = weights.reduce((a, b) => a + b, 0);
  weights.forEach((w, i) => {
    const l = i % spec.layers;
    addLarge(plans[l], `opt/conda/lib/big-${i}.so`, Math.floor((remaining * w) / total), int(1 << 20));
  });
  return plans;
}

function addLarge(out: PlannedEntry[], name: string, size: number, offset: number): void {
  out.push({ name, type: 'file', size, offset, mode: 0o755 });
}

/** A standard normal sample (Box–Muller). */
function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}
