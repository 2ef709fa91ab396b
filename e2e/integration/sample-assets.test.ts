/**
 * The committed offline sample (`public/sample/`) is what its builder makes: `npm run sample` into a temp
 * folder gives every file byte for byte (sha256 of each, and the same list of files). The bytes depend on
 * Debian's gcc, binutils, busybox-static, zstd and GNU tar; where the installed ones differ from those recorded
 * in sample.json, the test says which, and checks instead that two builds in a row are identical.
 * Without gcc, zstd or busybox-static it skips with a message; under CI=true that is a failure.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSampleAssets, SAMPLE_DIR, sampleToolVersions, type SampleDescription } from '../sample-assets/build';
import { isCI } from '../harness/util';

/** The tools the builder needs, or why they are missing. */
function missingTools(): string {
  try {
    sampleToolVersions();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

const missing = missingTools();
if (missing) {
  if (isCI) throw new Error(`CI=true: the sample assets cannot be rebuilt: ${missing}`);
  console.warn(`[sample-assets] skipped: ${missing}`);
}

/** sha256 hex of every file under `root`, by path relative to it. */
function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

describe.skipIf(!!missing)('the committed offline sample', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sample-assets-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is rebuilt byte for byte by npm run sample', async () => {
    const committed = hashTree(SAMPLE_DIR);
    const recorded = (JSON.parse(readFileSync(join(SAMPLE_DIR, 'sample.json'), 'utf8')) as SampleDescription).builtWith;
    const first = await buildSampleAssets(join(tmp, 'a'));
    const built = hashTree(join(tmp, 'a'));
    // the list of files does not depend on tool versions
    expect(Object.keys(built)).toEqual(Object.keys(committed));
    expect(Object.keys(built)).toContain('base/busybox.tar');
    expect(Object.keys(built).filter((p) => p.endsWith('.conda'))).toHaveLength(5);
    const differ = Object.keys(recorded).filter((k) => recorded[k] !== first.builtWith[k]);
    if (differ.length === 0) {
      expect(built).toEqual(committed);
      return;
    }
    console.warn(`[sample-assets] NOT compared with the committed bytes: installed tools differ from those the sample was built with (${
      differ.map((k) => `${k}: installed "${first.builtWith[k]}", recorded "${recorded[k]}"`).join('; ')
    }). Checking that two builds in a row are identical instead; run \`npm run sample\` with the recorded tools to refresh public/sample/.`);
    await buildSampleAssets(join(tmp, 'b'));
    expect(hashTree(join(tmp, 'b'))).toEqual(built);
  }, 180_000);
});
