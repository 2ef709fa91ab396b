/**
 * The packages of the app's offline sample channel (`public/sample/channel/`), written by the shared `.conda`
 * writer: a shell script with an activation script (in two versions, so a solve has a choice to make),
 * a compiled program that embeds its install prefix, a noarch python package with an entry point, and the
 * stand-in python that noarch package needs.
 */
import { compileStatic, HELLO_PY, PLACEHOLDER, PYTHON_STAND_IN, type PackageDef } from '../conda-builder/package';

/**
 * hello-elf's source: freestanding (no libc, so the program is a few KB and owes nothing to a C library's
 * licence), a raw write(2) and exit(2) for x86-64 Linux. It prints a string holding the placeholder, which
 * the installer rewrites inside the binary.
 */
const HELLO_ELF_C = `/* hello-elf: prints the prefix it was installed into (the installer rewrites the string below). */
static const char where[] = "${PLACEHOLDER}/share/hello";
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
static void put(const char *s) {
  /* hide where s points: the length must be measured when the program runs, after relocation */
  __asm__ ("" : "+r"(s));
  unsigned long n = 0;
  while (s[n]) n++;
  sys3(1, 1, (long)s, (long)n);
}
void _start(void) {
  put("hello-elf sees ");
  put(where);
  put("\\n");
  sys3(60, 0, 0, 0);
  for (;;) {}
}
`;

/** gcc flags of hello-elf: no libc, no build id, stripped, so the bytes depend on gcc and binutils only. */
const HELLO_ELF_FLAGS = [
  '-nostdlib', '-ffreestanding', '-fno-builtin', '-fno-stack-protector', '-fno-asynchronous-unwind-tables',
  '-fno-pie', '-no-pie', '-O1', '-s', '-Wl,--build-id=none',
];

/** The script package, one version of it; its message names the version, so a run shows which one solved. */
function helloScript(version: string): PackageDef {
  return {
    name: 'hello-script', version, build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-prefix', mode: 0o755, placeholder: 'text', content: `#!/bin/sh\necho "hello-script ${version} installed at ${PLACEHOLDER}"\n` },
      { path: 'etc/conda/activate.d/hello.sh', placeholder: 'text', content: `export HELLO_ACTIVATED="activated in ${PLACEHOLDER}"\n` },
    ],
  };
}

/** The sample channel's packages; hello-elf is compiled in `workDir`. */
export function samplePackages(workDir: string): PackageDef[] {
  return [
    PYTHON_STAND_IN,
    helloScript('1.0'),
    helloScript('2.0'),
    { name: 'hello-elf', version: '1.0', build: '0', subdir: 'linux-64', files: [
      { path: 'bin/hello-elf', mode: 0o755, placeholder: 'binary', content: compileStatic(workDir, 'hello-elf', HELLO_ELF_C, HELLO_ELF_FLAGS) },
    ] },
    HELLO_PY,
  ];
}

/** The specs the sample build asks for (hello-script resolves to its newest version, 2.0). */
export const SAMPLE_SPECS = ['hello-script', 'hello-elf', 'hello-py'];

/** The command that checks a built sample image, run as `docker run --rm IMAGE ...SAMPLE_CHECK`. */
export const SAMPLE_CHECK = ['sh', '-c', 'hello-prefix; hello-elf; hello-py; echo "$HELLO_ACTIVATED"'];

/** What {@link SAMPLE_CHECK} prints in an image built with the default prefix /opt/conda. */
export const SAMPLE_CHECK_OUTPUT = [
  'hello-script 2.0 installed at /opt/conda',
  'hello-elf sees /opt/conda/share/hello',
  'python stand-in ran /opt/conda/bin/hello-py',
  'activated in /opt/conda',
  '',
].join('\n');
