/**
 * The CLI's command line: `--help` is printed from the same tables that parse, a mistake in the command line
 * exits 2 with the command's usage line (a failure of the command exits 1), every option `--help` lists is
 * used by some test, and running bin/docker-envs.js before `npm ci` says what to run instead of a stack.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/cli';
import { repoRoot } from '../test-support/fixtures';
import { COMMANDS } from './commands';

const cli = runCli;

const flags = (name: string) => COMMANDS.find((c) => c.name === name)!.options.map((o) => `--${o.name}`);

describe('docker-envs command line', () => {
  it('--help lists every command and every option of its table; COMMAND --help that command only', async () => {
    const all = await cli('--help');
    expect(all.code).toBe(0);
    for (const c of COMMANDS) {
      expect(all.out).toContain(`  ${c.name} ${c.synopsis}\n`);
      const one = await cli(c.name, '--help');
      expect(one.code).toBe(0);
      expect(one.out.split('\n')[0]).toBe(`Usage: docker-envs ${c.name} ${c.synopsis}`);
      // each option line of the command's help, and nothing else looks like one
      const listed = [...one.out.matchAll(/^ {6}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
      expect(listed).toEqual(flags(c.name));
    }
    expect((await cli('build', '--help')).out).toMatch(/^ {6}--push REF +push the image built/m);
  });

  it('an unknown option, a missing value or argument, an unknown command: exit 2, the message and the usage line', async () => {
    for (const c of COMMANDS) {
      const r = await cli(c.name, '--no-such-option');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(`docker-envs: Unknown option '--no-such-option'\nUsage: docker-envs ${c.name} ${c.synopsis}\n(docker-envs ${c.name} --help lists its options)\n`);
    }
    const value = await cli('pull', 'busybox:1.36', '-o');
    expect([value.code, value.err.split('\n')[0]]).toEqual([2, "docker-envs: Option '-o, --output <value>' argument missing"]);
    const arg = await cli('diff', 'a.tar');
    expect([arg.code, arg.err.split('\n').slice(0, 2)]).toEqual([2, ['docker-envs: diff takes two images (archives, OCI layout folders or registry references) (got a.tar)', 'Usage: docker-envs diff A B [options]']]);
    const need = await cli('build', '-b', 'x.tar', '-i', 'x/y:1');
    expect([need.code, need.err.split('\n')[0]]).toEqual([2, 'docker-envs: build needs -b BASE, -i NAME:TAG and -o FILE or --push REF']);
    const layers = await cli('build', '-b', 'x.tar', '-i', 'x/y:1', '-o', 'x.tar', '--max-layers', 'two');
    expect([layers.code, layers.err.split('\n')[0]]).toEqual([2, 'docker-envs: --max-layers wants a whole number above 0, not "two"']);
    const unknown = await cli('frobnicate');
    expect([unknown.code, unknown.err.split('\n')[0]]).toEqual([2, 'docker-envs: unknown command "frobnicate" (commands: inspect, build, solve, diff, pull, push)']);
    const none = await cli();
    expect([none.code, none.out, none.err.startsWith('Usage: docker-envs <command>')]).toEqual([2, '', true]);
  });

  it('--platform with several platforms: solve exits 2 (a lock is one platform\'s); build with --lock too', async () => {
    const solve = await cli('solve', '-b', 'missing.tar', '-p', 'zlib', '--platform', 'linux/amd64,linux/arm64');
    expect(solve.code).toBe(2);
    expect(solve.err.split('\n')[0]).toBe('docker-envs: --platform linux/amd64,linux/arm64: a lock is for one platform; give one (e.g. linux/amd64)');
    const lock = await cli('build', '-b', 'missing.tar', '-i', 'x/y:1', '-o', 'never.tar', '--lock', 'l.txt', '--platform', 'linux/amd64,linux/arm64');
    expect(lock.code).toBe(2);
    expect(lock.err.split('\n')[0]).toBe('docker-envs: --platform linux/amd64,linux/arm64: a lock is for one platform; give one (e.g. linux/amd64)');
    const twice = await cli('build', '-b', 'missing.tar', '-i', 'x/y:1', '-o', 'never.tar', '-p', 'zlib', '--platform', 'linux/amd64,linux/amd64');
    expect(twice.code).toBe(2);
    expect(twice.err.split('\n')[0]).toBe('docker-envs: --platform linux/amd64,linux/amd64: platform linux/amd64 is named twice');
  });

  it('a failure of the command (not of its command line) exits 1 with the error line, no usage', async () => {
    const r = await cli('inspect', join(tmpdir(), 'no-such-archive.tar'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^docker-envs: error \[invalid-argument\]: .*no-such-archive\.tar: no such file or folder/);
    expect(r.err).not.toContain('Usage:');
  });

  it('every option --help lists is given to its command in some CLI test', () => {
    // a test "uses" an option when the option's literal follows the command's literal in one call (within a few lines)
    const dirs = [join(repoRoot, 'src', 'cli'), join(repoRoot, 'e2e', 'integration')];
    const texts = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.test.ts') && f !== 'options.test.ts').map((f) => readFileSync(join(d, f), 'utf8')));
    const unused: string[] = [];
    for (const c of COMMANDS) {
      for (const o of c.options) {
        const forms = [`'--${o.name}'`, ...(o.short ? [`'-${o.short}'`] : [])];
        const used = texts.some((t) => [...t.matchAll(new RegExp(`'${c.name}'`, 'g'))].some((m) => forms.some((f) => t.slice(m.index, m.index + 400).includes(f))));
        if (!used) unused.push(`${c.name} --${o.name}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('bin/docker-envs.js before `npm ci`: one line saying what to run, exit 1, no stack trace', () => {
    const copy = mkdtempSync(join(tmpdir(), 'no-deps-'));
    try {
      mkdirSync(join(copy, 'bin'));
      for (const f of ['docker-envs.js', 'bundled.js']) copyFileSync(join(repoRoot, 'bin', f), join(copy, 'bin', f));
      copyFileSync(join(repoRoot, 'package.json'), join(copy, 'package.json'));
      const r = spawnSync('node', [join(copy, 'bin', 'docker-envs.js'), '--version'], { cwd: copy, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`docker-envs: its dependencies are not installed: run \`npm ci\` in ${copy} first\n`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
