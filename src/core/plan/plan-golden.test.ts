/**
 * Golden layer plans: a fixed environment over and under the cap gives exactly these layers; two environments
 * that differ in one leaf package share (by layer digest) at least 95% of their layers, under and over the cap.
 */
import { describe, expect, it } from 'vitest';
import { layerFromFiles } from '../image';
import { bucketOf, orderForLink, planLayers, type PlannedPackage } from './plan';

const pkg = (name: string, depends: string[] = [], size = 1000): PlannedPackage => ({ name, depends, size });

/** A made-up but conda-shaped environment: a python stack plus `n` small packages in a dependency chain. */
function environment(n: number, leaf: string): PlannedPackage[] {
  const core = [pkg('_libgcc_mutex', [], 3e3), pkg('libgcc-ng', ['_libgcc_mutex'], 8e5), pkg('libstdcxx-ng', [], 4e6), pkg('openssl', ['libgcc-ng'], 3e6),
    pkg('libzlib', ['libgcc-ng'], 6e4), pkg('python', ['openssl', 'libzlib', 'libstdcxx-ng'], 3e7), pkg('mkl', [], 2e8), pkg('numpy', ['python', 'mkl'], 7e6)];
  const small = Array.from({ length: n }, (_, i) => pkg(`py-${String(i).padStart(3, '0')}`, ['python', ...(i ? [`py-${String(i - 1).padStart(3, '0')}`] : [])], 5e3 + ((i * 7919) % 50) * 1e3));
  return orderForLink([...core, ...small, pkg(leaf, ['numpy'], 2e4)]);
}

async function digests(layers: PlannedPackage[][], meta: string): Promise<string[]> {
  const out = [];
  for (const l of layers) {
    out.push(await layerFromFiles(Object.fromEntries(l.map((p) => [`opt/conda/conda-meta/${p.name}.json`, JSON.stringify(p)]))).diffId());
  }
  out.push(await layerFromFiles({ 'opt/conda/conda-meta/history': meta }).diffId());
  return out;
}

const shared = (a: string[], b: string[]) => a.filter((d) => b.includes(d)).length / Math.max(a.length, b.length);

describe('golden plans', () => {
  it('over the cap: shared and big packages alone, the rest in name-hashed groups, link order inside', () => {
    const env = environment(12, 'leaf-a');
    const plan = planLayers(env, { baseLayers: 112, maxLayers: 125 });
    expect(plan.length + 112 + 1).toBeLessThanOrEqual(125);
    // dependency order in waves (ties by name); 8 shared/big packages and the biggest small one alone; 3 groups
    expect(plan.map((l) => l.map((p) => p.name))).toEqual([
      ['_libgcc_mutex'], ['libstdcxx-ng'], ['mkl'], ['libgcc-ng'], ['libzlib'], ['openssl'], ['python'], ['numpy'], ['py-005'],
      ['py-000', 'leaf-a', 'py-007', 'py-011'], ['py-001', 'py-002', 'py-004', 'py-008', 'py-010'], ['py-003', 'py-006', 'py-009'],
    ]);
    expect(bucketOf('leaf-a', 4)).toBe(bucketOf('leaf-a', 4)); // a pure function of the name
  });

  it('single: one layer in link order', () => {
    const plan = planLayers(environment(3, 'leaf'), { baseLayers: 1, strategy: 'single' });
    expect(plan.map((l) => l.map((p) => p.name))).toEqual([['_libgcc_mutex', 'libstdcxx-ng', 'mkl', 'libgcc-ng', 'libzlib', 'openssl', 'python', 'numpy', 'py-000', 'leaf', 'py-001', 'py-002']]);
  });

  it('two environments differing in one leaf share ≥95% of layers by digest, under and over the cap', async () => {
    const ratios: number[] = [];
    for (const [n, baseLayers, grouped] of [[60, 5, 0], [300, 5, 48]] as const) {
      const a = planLayers(environment(n, 'leaf-a'), { baseLayers });
      const b = planLayers(environment(n, 'leaf-b'), { baseLayers });
      expect(a.filter((l) => l.length > 1).length).toBe(grouped);
      expect(a.length + baseLayers + 1).toBeLessThanOrEqual(125);
      const da = await digests(a, 'a');
      const db = await digests(b, 'b');
      ratios.push(shared(da, db));
      expect(shared(da, db)).toBeGreaterThanOrEqual(0.95);
      // the big and shared packages keep their own layers in both
      for (const name of ['python', 'mkl', 'openssl', 'numpy']) expect(a.some((l) => l.length === 1 && l[0].name === name)).toBe(true);
    }
    console.log(`[plan] layers shared by digest between environments differing in one leaf: ${ratios.map((r) => `${(r * 100).toFixed(1)}%`).join(' (69 packages), ')} (309 packages, over the cap)`);
  });
});
