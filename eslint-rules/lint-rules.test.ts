/**
 * The project's lint configuration holds its layering: each probe below is linted in memory, as a file at the
 * given path, by ESLint with the real eslint.config.js. A violating probe must be reported by the named rule
 * (so taking the rule or its zone out of the config fails here) and its conforming twin must not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/test-support/fixtures';

let eslint: ESLint;
beforeAll(() => { eslint = new ESLint({ cwd: repoRoot }); });

/** The messages of rule `ruleId` when `code` is linted as the file `path` of the project. */
async function findings(path: string, code: string, ruleId: string) {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message);
}

const ZONES = 'local/import-zones';

describe('import zones', () => {
  const cases: Array<[string, string, string, boolean]> = [
    // [what, file, code, reported]
    ['core → ui, relative', 'src/core/zone-probe.ts', "import { App } from '../ui/App';", true],
    ['core → ui, root-relative', 'src/core/zone-probe.ts', "import '/src/ui/App';", true],
    ['core → state, src/ alias', 'src/core/zone-probe.ts', "import { useBuildDraft } from 'src/state/build-draft';", true],
    ['core → workers, type only', 'src/core/zone-probe.ts', "export type { BuildJob } from '../../workers/build-job';", true],
    ['core → bridge, import()', 'src/core/zone-probe.ts', "export const m = () => import('../bridge/registry-bridge');", true],
    ['core → test-support', 'src/core/zone-probe.ts', "import { fixture } from '../test-support/fixtures';", true],
    ['core → core', 'src/core/zone-probe.ts', "import { CoreError } from './errors';\nexport { CoreError };", false],
    ['core test → test-support', 'src/core/zone-probe.test.ts', "import { fixture } from '../test-support/fixtures';\nexport { fixture };", false],
    ['core test → ui', 'src/core/zone-probe.test.ts', "import '../ui/App';", true],
    ['core test → the CLI', 'src/core/zone-probe.test.ts', "import { startLayerThread } from '../cli/layer-threads.node.js';\nexport { startLayerThread };", true],
    ['core test → the CLI\'s main', 'src/core/zone-probe.test.ts', "import { main } from '../cli/main.js';\nexport { main };", true],
    ['ui → workers', 'src/ui/zone-probe.tsx', "import { runBuild } from '../../workers/build-job';\nexport { runBuild };", true],
    ['ui → workers, type only', 'src/ui/zone-probe.tsx', "import type { X } from '../../workers/build-job';\nexport type { X };", true],
    ['ui → workers, new URL', 'src/ui/zone-probe.tsx', "export const w = new Worker(new URL('../../workers/build.worker.ts', import.meta.url));", true],
    ['ui → bridge', 'src/ui/zone-probe.tsx', "import { buildBridge } from '../bridge/registry-bridge';\nexport { buildBridge };", true],
    ['ui → bridge, type only', 'src/ui/zone-probe.tsx', "import type { WorkerError } from '../bridge/inspect-bridge';\nexport type { WorkerError };", false],
    ['ui → queries', 'src/ui/zone-probe.tsx', "import { useBuild } from '../queries/build-queries';\nexport { useBuild };", false],
    ['state → workers', 'src/state/zone-probe.ts', "import { environmentInput } from '../../workers/environment-input';\nexport { environmentInput };", true],
    ['queries → workers', 'src/queries/zone-probe.ts', "import { buildInWorker } from '../../workers/build-job';\nexport { buildInWorker };", true],
    ['queries → ui', 'src/queries/zone-probe.ts', "import { App } from '../ui/App';\nexport { App };", true],
    ['queries → bridge and state', 'src/queries/zone-probe.ts', "import { inspectBridge } from '../bridge/inspect-bridge';\nimport { useInspectorStore } from '../state/inspector-store';\nexport { inspectBridge, useInspectorStore };", false],
    ['bridge → queries', 'src/bridge/zone-probe.ts', "import { useBuild } from '../queries/build-queries';\nexport { useBuild };", true],
    ['bridge → workers, new URL', 'src/bridge/zone-probe.ts', "export const w = new Worker(new URL('../../workers/build.worker.ts', import.meta.url));", false],
    ['workers → state', 'workers/zone-probe.ts', "import { useBuildDraft } from '../src/state/build-draft';\nexport { useBuildDraft };", true],
    ['workers → core', 'workers/zone-probe.ts', "import { CoreError } from '../src/core/errors';\nexport { CoreError };", false],
    ['worker test → test-support', 'workers/zone-probe.test.ts', "import { fixture } from '../src/test-support/fixtures';\nexport { fixture };", false],
    ['proxy → src', 'proxy/zone-probe.ts', "import { startServer } from '../src/serve';\nexport { startServer };", true],
    ['proxy → proxy', 'proxy/zone-probe.ts', "import { proxyConfigFrom } from './config';\nexport { proxyConfigFrom };", false],
  ];
  it.each(cases)('%s (%s)', async (_what, path, code, reported) => {
    const found = await findings(path, code, ZONES);
    if (reported) expect(found).toEqual([expect.stringMatching(/is outside this zone/)]);
    else expect(found).toEqual([]);
  });
});

describe('no-import-cycle', () => {
  // the archive reader leads back to the core's errors module, so errors.ts importing it closes a cycle
  const errors = 'src/core/errors.ts';

  it('reports an import that leads back to the file, naming the chain', async () => {
    const found = await findings(errors, "import { readImageArchive } from './archive';\nexport { readImageArchive };", 'local/no-import-cycle');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^import cycle: src\/core\/errors\.ts → src\/core\/archive\/index\.ts → .* → src\/core\/errors\.ts$/);
  });

  it('leaves type-only imports and the real file alone', async () => {
    expect(await findings(errors, "import type { ImageArchive } from './archive';\nexport type { ImageArchive };", 'local/no-import-cycle')).toEqual([]);
    expect(await findings(errors, readFileSync(join(repoRoot, errors), 'utf8'), 'local/no-import-cycle')).toEqual([]);
  });
});

describe('react lint of src/ui', () => {
  it('reports a click handler without keyboard access (jsx-a11y-x)', async () => {
    const found = await findings('src/ui/a11y-probe.tsx', 'export const A = ({ f }: { f(): void }) => <div onClick={f}>go</div>;', 'jsx-a11y-x/click-events-have-key-events');
    expect(found).toHaveLength(1);
    expect(await findings('src/ui/a11y-probe.tsx', 'export const A = ({ f }: { f(): void }) => <button type="button" onClick={f}>go</button>;', 'jsx-a11y-x/click-events-have-key-events')).toEqual([]);
  });

  it('reports a conditional hook and a missing effect dependency (react-hooks)', async () => {
    const code = "import { useEffect, useState } from 'react';\nexport function A({ on, n }: { on: boolean; n: number }) {\n  if (on) useState(0);\n  useEffect(() => { console.log(n); }, []);\n  return null;\n}\n";
    expect(await findings('src/ui/hooks-probe.tsx', code, 'react-hooks/rules-of-hooks')).toHaveLength(1);
    expect(await findings('src/ui/hooks-probe.tsx', code, 'react-hooks/exhaustive-deps')).toHaveLength(1);
  });
});
