/**
 * A channel for multi-platform builds: `arch-marker` in both linux-64 and linux-aarch64, each build's file
 * naming its subdir (so an image shows which platform's package it got); `hello-asm`, a real static program
 * for each of the two, assembled when the channel is written (the host's binutils for x86-64, Debian's
 * binutils-aarch64-linux-gnu for aarch64: no libc, just the write and exit syscalls, so the cross assembler
 * and linker are all it takes); and `hello-sh`, a noarch script every platform installs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleStatic, writeChannel, type PackageDef } from './package';

type ArchSubdir = 'linux-64' | 'linux-aarch64';

/** The same package name in one arch subdir, its file naming that subdir. */
export const archMarker = (subdir: ArchSubdir): PackageDef => ({
  name: 'arch-marker', version: '1.0', build: 'h0_0', subdir, files: [{ path: 'share/arch-marker', content: `${subdir}\n` }],
});

/** What `hello-asm` prints on the platform of `subdir`. */
export const helloAsmOutput = (subdir: ArchSubdir): string => `hello-asm: ${subdir}\n`;

/** Where `hello-asm` puts its program, relative to the prefix. */
export const HELLO_ASM_PATH = 'bin/hello-asm';

/** A program whose instructions `body` write `msg` (`len` bytes) to stdout and exit; `subdir` names its line. */
const asmProgram = (subdir: ArchSubdir, body: string[]): string => ['\t.global _start', '\t.text', '_start:', ...body.map((l) => `\t${l}`),
  `msg:\t.ascii "${helloAsmOutput(subdir).trimEnd()}\\n"`, '\t.equ len, . - msg', ''].join('\n');

/** hello-asm's source for each subdir (the write and exit syscalls) and the binutils that build it. */
const HELLO_ASM: Record<ArchSubdir, { toolPrefix: string; source: string }> = {
  'linux-64': { toolPrefix: '', source: asmProgram('linux-64', [
    'mov $1, %eax', 'mov $1, %edi', 'lea msg(%rip), %rsi', 'mov $len, %edx', 'syscall', 'mov $60, %eax', 'xor %edi, %edi', 'syscall',
  ]) },
  'linux-aarch64': { toolPrefix: 'aarch64-linux-gnu-', source: asmProgram('linux-aarch64', [
    'mov x0, #1', 'adr x1, msg', 'mov x2, #len', 'mov x8, #64', 'svc #0', 'mov x0, #0', 'mov x8, #93', 'svc #0',
  ]) },
};

/** The `hello-asm` package of one arch subdir around its assembled program. */
export const helloAsm = (subdir: ArchSubdir, elf: Uint8Array): PackageDef => ({
  name: 'hello-asm', version: '1.0', build: 'h0_0', subdir, files: [{ path: HELLO_ASM_PATH, mode: 0o755, content: elf }],
});

/** A noarch shell script. */
export const HELLO_SH: PackageDef = {
  name: 'hello-sh', version: '1.0', build: '0', subdir: 'noarch', noarch: 'generic', files: [
    { path: 'bin/hello-sh', mode: 0o755, content: '#!/bin/sh\necho "hello from noarch"\n' },
  ],
};

/**
 * Writes the multi-platform channel (both markers, both hello-asm programs and hello-sh) into `dir`; returns
 * the program each hello-asm package holds, by subdir.
 */
export async function writeMultiPlatformChannel(dir: string): Promise<{ helloAsm: Record<ArchSubdir, Uint8Array> }> {
  const work = mkdtempSync(join(tmpdir(), 'hello-asm-'));
  try {
    const elf = (subdir: ArchSubdir) => assembleStatic(join(work, subdir), 'hello-asm', HELLO_ASM[subdir].source, HELLO_ASM[subdir].toolPrefix);
    const programs = { 'linux-64': elf('linux-64'), 'linux-aarch64': elf('linux-aarch64') };
    await writeChannel(dir, [archMarker('linux-64'), archMarker('linux-aarch64'),
      helloAsm('linux-64', programs['linux-64']), helloAsm('linux-aarch64', programs['linux-aarch64']), HELLO_SH]);
    return { helloAsm: programs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
