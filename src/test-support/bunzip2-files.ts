/**
 * Decodes every `*.bz2` file of a folder with the project's bzip2 decoder and prints one JSON line per
 * file: `{ file, ok, sha256?, code?, message?, ms }`. Run as a child process by bzip2.test.ts, under a
 * timeout: a decoder that hangs on a corrupt input is killed, and the missing line names the input.
 * Usage: node --import tsx src/test-support/bunzip2-files.ts DIR [maxBytes]
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bunzip2 } from '../core/compress/bzip2';

const [dir, max] = process.argv.slice(2);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bz2')).sort()) {
  const bytes = readFileSync(join(dir, file));
  const t = performance.now();
  let line: Record<string, unknown>;
  try {
    const out = bunzip2(bytes, max ? Number(max) : Infinity);
    line = { file, ok: true, sha256: createHash('sha256').update(out).digest('hex') };
  } catch (e) {
    const err = e as { code?: string; message?: string; name?: string };
    line = { file, ok: false, code: err.code ?? err.name, message: err.message };
  }
  process.stdout.write(`${JSON.stringify({ ...line, ms: Math.round(performance.now() - t) })}\n`);
}
