/**
 * Pulling an image to a docker-archive: the CLI (`docker-envs pull`) against `skopeo copy docker://…
 * docker-archive:…` on the same image from the harness's open registry, both with cold caches, run in the
 * same invocation (issue 4: target ≤ 0.8× skopeo's time).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistries } from '../../e2e/harness/registry.js';
import type { BenchRow } from '../table.js';

const run = promisify(execFile);

/** The pull row: debian minbase (the harness's largest image), best of two runs each. */
export function pullRows(opts: { log: (s: string) => void }): BenchRow[] {
  return [{
    name: 'pull debian-minbase → docker-archive (CLI)',
    target: '≤ 0.8× skopeo',
    async run() {
      const regs = await startRegistries({ log: opts.log });
      const tmp = mkdtempSync(join(tmpdir(), 'bench-pull-'));
      try {
        const ref = `${regs.open.host}/test/debian:bookworm-minbase`;
        const timeIt = async (f: (i: number) => Promise<unknown>) => {
          let best = Infinity;
          for (let i = 0; i < 2; i++) { const t = performance.now(); await f(i); best = Math.min(best, (performance.now() - t) / 1000); }
          return best;
        };
        const ours = await timeIt((i) => run('node', ['bin/docker-envs.js', 'pull', ref, '-o', join(tmp, `ours${i}.tar`), '--cache', join(tmp, `cache${i}`)]));
        const peer = await timeIt((i) => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:${join(tmp, `peer${i}.tar`)}:x/y:1`]));
        const size = statSync(join(tmp, 'ours0.tar')).size;
        return {
          ours: `${ours.toFixed(2)} s`, peer: `${peer.toFixed(2)} s`, ratio: ours / peer, pass: ours / peer <= 0.8,
          notes: `${(size / 2 ** 20).toFixed(0)} MiB archive; cold blob cache each run; the CLI's time includes Node start-up and tsx`,
        };
      } finally {
        rmSync(tmp, { recursive: true, force: true });
        await regs.stop();
      }
    },
  }];
}
