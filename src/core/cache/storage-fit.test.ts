import { describe, expect, it } from 'vitest';
import { storageFit, storageNeed, UNPACK_FACTOR } from './storage-fit';

const MB = 1024 * 1024;

describe('storage fit of a build', () => {
  it('counts the packages the cache lacks, the unpacked layers and the archive (base layers + new layers)', () => {
    const need = storageNeed({ uncachedPackages: 40 * MB, packages: 100 * MB, baseLayers: 30 * MB });
    expect(need.layers).toBe(100 * MB * UNPACK_FACTOR);
    expect(need.archive).toBe(30 * MB + 100 * MB * UNPACK_FACTOR);
    expect(need.total).toBe(40 * MB + need.layers + need.archive);
  });

  it('fits when the need is within quota − usage, and says nothing', () => {
    const need = storageNeed({ uncachedPackages: 10 * MB, packages: 10 * MB, baseLayers: 0 });
    const fit = storageFit(need, { usage: 100 * MB, quota: 100 * MB + need.total });
    expect(fit).toMatchObject({ fits: true, available: need.total });
    expect(fit.warning).toBeUndefined();
  });

  it('warns with the need and what is available when one byte more is needed', () => {
    const need = storageNeed({ uncachedPackages: 10 * MB, packages: 10 * MB, baseLayers: 0 });
    const fit = storageFit(need, { usage: 100 * MB, quota: 100 * MB + need.total - 1 });
    expect(fit.fits).toBe(false);
    expect(fit.warning).toMatch(/needs about 70 MB of browser storage \(10 MB of packages not cached yet, ~30 MB of layers, ~30 MB for the image\) but only 70 MB is available/);
  });

  it('a usage above the quota leaves nothing available', () => {
    const fit = storageFit(storageNeed({ uncachedPackages: 1, packages: 1, baseLayers: 0 }), { usage: 2 * MB, quota: MB });
    expect(fit).toMatchObject({ fits: false, available: 0 });
  });

  it('gives no verdict where the browser has no estimate', () => {
    const need = storageNeed({ uncachedPackages: 1, packages: 1, baseLayers: 0 });
    expect(storageFit(need, undefined)).toEqual({ need });
    expect(storageFit(need, { usage: 5 })).toEqual({ need });
  });
});
