/** Progress of blobs moving to or from a registry, as the CLI shows it (pull's downloads, push's uploads). */
import { formatBytes } from '../core/inspect/format';

/** Where progress goes: a terminal (isTTY) or anything else (a log, CI). */
export type ProgressSink = { write(s: string): unknown; isTTY?: boolean };

/**
 * On a terminal, one bar rewritten in place (bytes so far of all blobs, at most ten times a second) and
 * cleared by `end`; elsewhere a plain line as each blob completes, never a carriage return.
 */
export function transferProgress(sink: ProgressSink | undefined, verb: { doing: string; done: string }): { onProgress: (digest: string, bytes: number, total: number) => void; end: () => void } {
  const seen = new Map<string, [number, number]>();
  let last = 0;
  let shown = false;
  return {
    onProgress(digest, bytes, total) {
      const before = seen.get(digest);
      seen.set(digest, [bytes, total]);
      if (!sink) return;
      if (!sink.isTTY) {
        if (bytes >= total && (!before || before[0] < before[1])) sink.write(`  ${verb.done} ${digest.slice(0, 19)} (${formatBytes(total)})\n`);
        return;
      }
      const now = Date.now();
      if (now - last < 100 && bytes < total) return;
      last = now;
      const [got, all] = [...seen.values()].reduce((a, [b, t]) => [a[0] + b, a[1] + t], [0, 0]);
      sink.write(`\r\x1b[K  ${verb.doing} ${formatBytes(got)} / ${formatBytes(all)} (${seen.size} blobs)`);
      shown = true;
    },
    end() {
      if (shown) sink!.write('\r\x1b[K');
      shown = false;
    },
  };
}
