/** Image config of an environment; the entrypoint script is run by the real /bin/sh against a temporary prefix. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendLayers, emptyImage, layerFromFiles, setConfig } from '../image';
import type { ConfigFile } from '../oci';
import { activationScriptsIn, environmentConfig, findShell, parseCommand, parseLabels } from './config';

const cfg = (config: ConfigFile['config']): ConfigFile => ({ architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] } });

describe('environmentConfig', () => {
  it('PATH gets prefix/bin first (once), CONDA_PREFIX set, no entrypoint without activation scripts', () => {
    const r = environmentConfig(cfg({ Env: ['PATH=/opt/conda/bin:/usr/bin:/bin', 'LANG=C.UTF-8'], Cmd: ['python'] }), { prefix: '/opt/conda/', shell: '/bin/sh', labels: { a: 'b' } });
    expect(r.patch).toEqual({ env: { PATH: '/opt/conda/bin:/usr/bin:/bin', CONDA_PREFIX: '/opt/conda' }, labels: { a: 'b' } });
    expect(r.entrypoint).toBeUndefined();
    expect(environmentConfig(cfg({}), { prefix: '/env' }).patch.env).toEqual({ PATH: '/env/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', CONDA_PREFIX: '/env' });
    // activation scripts but no shell in the base: no entrypoint (nothing could run it)
    expect(environmentConfig(cfg({}), { prefix: '/env', activationScripts: ['etc/conda/activate.d/a.sh'] }).entrypoint).toBeUndefined();
  });

  it('with activation scripts and a shell: entrypoint in front of the base\'s, Cmd kept', async () => {
    const base = cfg({ Entrypoint: ['/usr/bin/tini', '--'], Cmd: ['bash'] });
    const r = environmentConfig(base, { prefix: '/opt/conda', shell: '/bin/sh', activationScripts: activationScriptsIn(['bin/x', 'etc/conda/activate.d/b.sh', 'etc/conda/activate.d/a.sh', 'etc/conda/activate.d/c.csh']) });
    expect(r.patch.entrypoint).toEqual(['/opt/conda/.docker-envs/entrypoint.sh', '/usr/bin/tini', '--']);
    expect(r.patch.cmd).toEqual(['bash']);
    expect(r.entrypoint?.path).toBe('opt/conda/.docker-envs/entrypoint.sh');
    const img = setConfig(emptyImage(), r.patch);
    expect((await img.config()).config).toMatchObject({ Entrypoint: r.patch.entrypoint, Cmd: ['bash'], Env: expect.arrayContaining(['CONDA_PREFIX=/opt/conda']) });
  });

  it('the user\'s entrypoint, command and labels replace the base\'s, run after activation; the environment\'s labels win', () => {
    const base = cfg({ Entrypoint: ['/usr/bin/tini', '--'], Cmd: ['bash'], Labels: { keep: 'base' } });
    const user = { entrypoint: ['python', '-m'], cmd: ['http.server'], userLabels: { team: 'x', 'org.conda.environment.prefix': 'mine' }, labels: { 'org.conda.environment.prefix': '/opt/conda' } };
    const plain = environmentConfig(base, { prefix: '/opt/conda', ...user });
    expect(plain.patch).toMatchObject({ entrypoint: ['python', '-m'], cmd: ['http.server'], labels: { team: 'x', 'org.conda.environment.prefix': '/opt/conda' } });
    const activating = environmentConfig(base, { prefix: '/opt/conda', shell: '/bin/sh', activationScripts: ['etc/conda/activate.d/a.sh'], ...user });
    expect(activating.patch.entrypoint).toEqual(['/opt/conda/.docker-envs/entrypoint.sh', 'python', '-m']);
    expect(activating.patch.cmd).toEqual(['http.server']);
  });

  it('parseCommand reads a JSON array or words; parseLabels KEY=VALUE', () => {
    expect(parseCommand(' ["a b", "c"] ')).toEqual(['a b', 'c']);
    expect(parseCommand('python  -V')).toEqual(['python', '-V']);
    expect(parseCommand('  ')).toBeUndefined();
    expect(() => parseCommand('["a", 1]')).toThrow(/not a JSON array of strings/);
    expect(() => parseCommand('[unclosed')).toThrow(/not a JSON array of strings/);
    expect(parseLabels(['a.b=c=d', 'e='])).toEqual({ 'a.b': 'c=d', e: '' });
    expect(() => parseLabels(['=x'])).toThrow(/not KEY=VALUE/);
  });

  it('the entrypoint script sources activate.d in order, then execs the command (real /bin/sh)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'));
    try {
      mkdirSync(join(dir, 'etc/conda/activate.d'), { recursive: true });
      writeFileSync(join(dir, 'etc/conda/activate.d/a.sh'), 'export ORDER="${ORDER}a"\n');
      writeFileSync(join(dir, 'etc/conda/activate.d/b.sh'), 'export ORDER="${ORDER}b"; export GDAL_DATA="$CONDA_PREFIX/share/gdal"\n');
      const { entrypoint } = environmentConfig(cfg({}), { prefix: dir, shell: '/bin/sh', activationScripts: ['etc/conda/activate.d/a.sh'] });
      const script = join(dir, 'entrypoint.sh');
      writeFileSync(script, entrypoint!.body);
      chmodSync(script, 0o755);
      const out = execFileSync(script, ['sh', '-c', 'echo "$ORDER $GDAL_DATA $CONDA_PREFIX $0 $1"', 'x', 'y z'], { env: { PATH: '/usr/bin:/bin' } }).toString();
      expect(out).toBe(`ab ${dir}/share/gdal ${dir} x y z\n`);
      // no command: the shell itself
      expect(execFileSync(script, [], { input: 'echo "$ORDER"' }).toString()).toBe('ab\n');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('findShell', () => {
  it('finds /bin/sh as a file or link, none in scratch, none once whited out', async () => {
    const withSh = appendLayers(emptyImage(), [{ layer: layerFromFiles([{ path: 'bin/busybox', content: 'x', mode: 0o755 }, { path: 'bin/sh', type: 'symlink', linkname: 'busybox', content: '' }]), history: {} }]);
    expect(await findShell(withSh)).toBe('/bin/sh');
    expect(await findShell(emptyImage())).toBeUndefined();
    const gone = appendLayers(withSh, [{ layer: layerFromFiles({ 'bin/.wh.sh': '' }), history: {} }]);
    expect(await findShell(gone)).toBeUndefined();
    const bash = appendLayers(emptyImage(), [{ layer: layerFromFiles({ 'usr/bin/bash': 'x' }), history: {} }]);
    expect(await findShell(bash)).toBe('/usr/bin/bash');
  });
});
