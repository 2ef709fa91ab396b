/**
 * Layer sharing (issue 5: target ≥ 95 %): two environments built from the benchmark corpus that differ
 * in one leaf package (nothing depends on it) — the corpus with leaf A and without leaf B, and the other
 * way round, A and B its two smallest leaves, as when one adds a small tool — with the real pipeline (buildEnvironment from a lock, the
 * layered strategy); the bytes of the first image's layers that the second holds too, counted by blob
 * digest (diff_id) and size. There is no peer to run: the row reports the fraction against its target.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { folderBlobStore } from '../../src/core/cache/blob-store.node.js';
import { useNodeGunzip } from '../../src/core/compress/gunzip.node.js';
import { buildEnvironment } from '../../src/core/pipeline/index.js';
import { spillToTempFile } from '../../src/core/archive/spill.node.js';
import { useNodeSha256 } from '../../src/core/digest/sha256.node.js';
import { emptyImage, type Image } from '../../src/core/image/index.js';
import type { SolvedRecord } from '../../src/core/solver/index.js';
import { prepareAssembly } from './assembly.js';
import type { BenchRow } from '../table.js';

/** diff_id → size of each layer of an image. */
async function layerSizes(image: Image): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const l of await image.layers()) out.set(await l.diffId(), await l.uncompressedSize());
  return out;
}

/** The packages no other package depends on, smallest first. */
export function leavesOf(order: SolvedRecord[]): SolvedRecord[] {
  const needed = new Set(order.flatMap((r) => r.depends.map((d) => d.split(/[\s=<>!~]/)[0])));
  return order.filter((r) => !needed.has(r.name)).sort((x, y) => (x.size ?? 0) - (y.size ?? 0) || (x.name < y.name ? -1 : 1));
}

export function sharingRows(opts: { quick: boolean; log: (s: string) => void }): BenchRow[] {
  return [{
    name: 'layer bytes shared, two environments differing in one leaf',
    target: '≥ 95 %',
    format: (v) => `${(v * 100).toFixed(1)} %`,
    pass: (ours) => ours >= 0.95,
    // the ratio column is the shared fraction itself
    ratio: (ours) => ours,
    // a byte count: the same in every run
    deterministic: true,
    async run() {
      useNodeSha256();
      useNodeGunzip();
      const s = await prepareAssembly({ quick: opts.quick, log: opts.log });
      try {
        const store = folderBlobStore(join(s.cache, 'blobs'));
        const [leafA, leafB] = leavesOf(s.order);
        if (!leafB) throw new Error('the corpus has fewer than two leaf packages');
        const build = async (lock: SolvedRecord[]) => (await buildEnvironment({
          base: emptyImage(), specs: [], channels: [], lock, store, epoch: 0, layerSpill: spillToTempFile,
        })).image;
        opts.log(`[sharing] building the corpus environment with ${leafA.name} and with ${leafB.name}`);
        const [a, b] = [await layerSizes(await build(s.order.filter((r) => r !== leafB))), await layerSizes(await build(s.order.filter((r) => r !== leafA)))];
        const total = [...a.values()].reduce((x, y) => x + y, 0);
        const shared = [...a].filter(([d]) => b.has(d)).reduce((x, [, n]) => x + n, 0);
        return {
          ours: shared / total,
          notes: `${a.size} and ${b.size} layers; ${(shared / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MiB shared (one with ${leafA.name}, the other with ${leafB.name}); the ratio column is the shared fraction`,
        };
      } finally {
        rmSync(s.dir, { recursive: true, force: true });
      }
    },
  }];
}
