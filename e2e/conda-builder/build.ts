/**
 * The test channel, written by the project's own `.conda` writer (`package.ts`), for what the fixtures lack:
 * a shell script with a text placeholder and an activation script, a real ELF program (gcc -static) that
 * embeds the placeholder as a string, a noarch python package with an entry point, a post-link script, and
 * the stand-in `python` (it only gives noarch packages their X.Y and answers the entry point's shebang).
 * Built into `.cache/harness/conda-builder/<key>/channel`, cached by the digest of the builder's sources.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../harness/util';
import { compileStatic, HELLO_PY, PLACEHOLDER, PYTHON_STAND_IN, writeChannel, type PackageDef } from './package';

/** The C program: prints the prefix it was relocated to (the string is found and rewritten by the installer). */
const HELLO_C = `#include <stdio.h>\nstatic const char where[] = "${PLACEHOLDER}/share/hello";\nint main(void) { printf("compiled program sees %s\\n", where); return 0; }\n`;

/** The test channel's packages, around the given compiled program. */
function testPackages(elf: Uint8Array): PackageDef[] {
  return [
    PYTHON_STAND_IN,
    { name: 'hello-script', version: '1.0', build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-prefix', mode: 0o755, placeholder: 'text', content: `#!/bin/sh\necho "installed at ${PLACEHOLDER}"\n` },
      { path: 'etc/conda/activate.d/hello.sh', placeholder: 'text', content: `export HELLO_ACTIVATED="activated in ${PLACEHOLDER}"\n` },
      { path: 'bin/.hello-script-post-link.sh', mode: 0o755, content: '#!/bin/sh\necho "post-link would run here"\n' },
    ] },
    { name: 'hello-elf', version: '1.0', build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-elf', mode: 0o755, placeholder: 'binary', content: elf },
    ] },
    HELLO_PY,
  ];
}

/** Builds (or reuses) the test channel; returns its folder (serve it over HTTP). */
export async function buildTestChannel(): Promise<string> {
  const sources = ['build.ts', 'package.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\0');
  const key = createHash('sha256').update(sources).digest('hex').slice(0, 16);
  const root = join(cacheDir, 'conda-builder', key);
  const channel = join(root, 'channel');
  if (existsSync(join(channel, 'linux-64', 'repodata.json'))) return channel;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(channel, { recursive: true });
  await writeChannel(channel, testPackages(compileStatic(root, 'hello-elf', HELLO_C, ['-O1'])));
  return channel;
}
