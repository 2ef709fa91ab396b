import { describe, expect, it } from 'vitest';
import { orderForLink, planLayers, type PlannedPackage } from './plan';

const pkg = (name: string, depends: string[] = [], size = 1000): PlannedPackage => ({ name, depends, size });

describe('orderForLink', () => {
  it('puts dependencies first, ties by name, cycles broken stably', () => {
    const order = orderForLink([pkg('flask', ['python >=3.8', 'werkzeug']), pkg('werkzeug', ['python']), pkg('python', ['openssl', 'libzlib']), pkg('openssl'), pkg('libzlib'), pkg('a', ['b']), pkg('b', ['a'])]);
    expect(order.map((p) => p.name)).toEqual(['libzlib', 'openssl', 'python', 'werkzeug', 'flask', 'a', 'b']);
  });
});

describe('planLayers', () => {
  it('one layer per package under the cap; single puts all in one', () => {
    const pkgs = [pkg('a'), pkg('b'), pkg('c')];
    expect(planLayers(pkgs, { baseLayers: 1 }).map((l) => l.map((p) => p.name))).toEqual([['a'], ['b'], ['c']]);
    expect(planLayers(pkgs, { baseLayers: 1, strategy: 'single' }).map((l) => l.length)).toEqual([3]);
  });

  it('over the cap: shared and big packages keep their layers, the rest are grouped; base layers count', () => {
    const pkgs = [pkg('python', [], 30e6), pkg('tiny1', [], 10), pkg('huge', [], 200e6), pkg('tiny2', [], 20), pkg('openssl', [], 3e6), pkg('mid', [], 1e6)];
    const plan = planLayers(pkgs, { baseLayers: 120, maxLayers: 125 });
    expect(plan.length + 120 + 1).toBeLessThanOrEqual(125);
    expect(plan.map((l) => l.map((p) => p.name))).toEqual([['python'], ['huge'], ['openssl'], ['tiny1', 'tiny2', 'mid']]);
    expect(() => planLayers(pkgs, { baseLayers: 124 })).toThrow(/no room/);
  });

  it('two environments that differ in one leaf package share every other layer', () => {
    const base = Array.from({ length: 40 }, (_, i) => pkg(`p${String(i).padStart(2, '0')}`, i ? [`p${String(i - 1).padStart(2, '0')}`] : [], 1000 + i));
    const a = planLayers(orderForLink([...base, pkg('leaf-a', ['p39'])]), { baseLayers: 3 });
    const b = planLayers(orderForLink([...base, pkg('leaf-b', ['p39'])]), { baseLayers: 3 });
    const key = (l: PlannedPackage[]) => l.map((p) => p.name).join(',');
    const shared = a.filter((l) => b.some((m) => key(m) === key(l)));
    expect(shared.length / a.length).toBeGreaterThanOrEqual(0.95);
  });
});
