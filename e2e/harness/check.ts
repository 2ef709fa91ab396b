/**
 * `npm run harness:check`: proves each real peer works here, one line per peer (OK, or what failed and how
 * to fix it); exits non-zero if any failed. Peers: Debian packages, GNU tar, busybox rootfs (deterministic,
 * runs under chroot), Chromium (headless page), umoci (image → unpack → chroot), skopeo (OCI layout →
 * docker-archive → inspect), dockerd (start, import the rootfs, `docker run --network none`, stop), registries
 * (open, htpasswd, token and the fault upstream; skopeo inspects every seeded image in each).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { buildBusyboxRootfs, busyboxRootfs, checkBusyboxRootfs } from './busybox';
import { debianDeps, ensureDeps } from './deps';
import { startDockerd } from './dockerd';
import { startRegistries } from './registry';
import { isMain, runCapture, type RunResult } from './util';

const execFileAsync = promisify(execFile);

/** One peer's verdict. */
export interface PeerCheck { peer: string; ok: boolean; detail: string; fix?: string; ms: number }

const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

function fail(step: string, r: RunResult): string {
  return `${step} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
}

async function timed(peer: string, fix: string, body: () => Promise<string> | string): Promise<PeerCheck> {
  const start = performance.now();
  try {
    const detail = await body();
    return { peer, ok: true, detail, ms: performance.now() - start };
  } catch (err) {
    return { peer, ok: false, detail: err instanceof Error ? err.message : String(err), fix, ms: performance.now() - start };
  }
}

function must(step: string, r: RunResult): string {
  if (r.code !== 0) throw new Error(fail(step, r));
  return r.stdout;
}

/** Runs every peer check in a scratch dir and returns the verdicts (never throws). */
export async function checkPeers(): Promise<PeerCheck[]> {
  const results: PeerCheck[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'docker-envs-check-'));
  const apt = (pkg: string) => `apt-get install -y --no-install-recommends ${pkg}`;
  try {
    results.push(await timed('debian packages', 'run the command above as root', async () => {
      const r = await ensureDeps();
      if (!r.ok) throw new Error(`missing ${r.missing.join(' ')}; fix: ${r.fix}`);
      return `${debianDeps.length} present${r.installed.length ? `, installed ${r.installed.join(' ')}` : ''}`;
    }));
    results.push(await timed('GNU tar', apt('tar'), () => {
      const v = must('tar --version', runCapture('tar', ['--version'])).split('\n')[0] ?? '';
      if (!v.includes('GNU tar')) throw new Error(`tar is not GNU tar: ${v}`);
      return v;
    }));
    let rootfs = '';
    results.push(await timed('busybox', apt('busybox-static'), async () => {
      const r = await busyboxRootfs();
      const again = await buildBusyboxRootfs(join(scratch, 'again.tar'));
      if (again !== r.sha256) throw new Error(`two builds differ: ${r.sha256} vs ${again} (rootfs is not deterministic)`);
      const problem = checkBusyboxRootfs(r.path);
      if (problem) throw new Error(problem);
      rootfs = r.path;
      return `rootfs sha256:${r.sha256.slice(0, 12)}… reproducible, chroot sh ok (busybox-static ${r.version})`;
    }));
    results.push(await timed('chromium', apt('chromium'), () => {
      const profile = join(scratch, 'chromium-profile');
      const r = runCapture('/usr/bin/chromium', [...chromiumArgs, `--user-data-dir=${profile}`, '--dump-dom',
        'data:text/html,<p id=x></p><script>x.textContent="js-"+(1+1)</script>']);
      if (!must('chromium --dump-dom', r).includes('js-2')) throw new Error(`page did not run its script: ${r.stdout.slice(0, 200)}`);
      return runCapture('/usr/bin/chromium', ['--version']).stdout.trim();
    }));
    const layout = join(scratch, 'layout');
    results.push(await timed('umoci', apt('umoci'), () => {
      if (!rootfs) throw new Error('not checked: needs the busybox rootfs');
      const src = join(scratch, 'rootfs');
      mkdirSync(src);
      must('tar -x', runCapture('tar', ['-xf', rootfs, '-C', src]));
      must('umoci init', runCapture('umoci', ['init', '--layout', layout]));
      must('umoci new', runCapture('umoci', ['new', '--image', `${layout}:t`]));
      must('umoci insert', runCapture('umoci', ['insert', '--image', `${layout}:t`, src, '/']));
      must('umoci unpack', runCapture('umoci', ['unpack', '--image', `${layout}:t`, join(scratch, 'bundle')]));
      const out = must('chroot', runCapture('chroot', [join(scratch, 'bundle/rootfs'), '/bin/sh', '-c', 'echo ok']));
      if (out !== 'ok\n') throw new Error(`unpacked image printed ${JSON.stringify(out)}`);
      return `${runCapture('umoci', ['--version']).stdout.trim()}: new, insert, unpack, chroot ok`;
    }));
    results.push(await timed('skopeo', apt('skopeo'), () => {
      if (!results.at(-1)?.ok) throw new Error('not checked: needs the umoci layout');
      const archive = join(scratch, 'image.tar');
      must('skopeo copy', runCapture('skopeo', ['copy', '--quiet', `oci:${layout}:t`, `docker-archive:${archive}:docker-envs-check/busybox:t`]));
      const info = JSON.parse(must('skopeo inspect', runCapture('skopeo', ['inspect', `docker-archive:${archive}`]))) as { Layers: string[] };
      if (info.Layers.length !== 1) throw new Error(`expected 1 layer, skopeo saw ${info.Layers.length}`);
      return `${runCapture('skopeo', ['--version']).stdout.trim()}: oci → docker-archive → inspect ok`;
    }));
    results.push(await timed('dockerd', `${apt('docker.io')}; see .cache/harness/dockerd/dockerd.log`, async () => {
      if (!rootfs) throw new Error('not checked: needs the busybox rootfs');
      const d = await startDockerd();
      try {
        const env = { ...process.env, DOCKER_HOST: d.host };
        const ver = must('docker version', runCapture('docker', ['version', '--format', '{{.Server.Version}}'], { env })).trim();
        must('docker import', runCapture('docker', ['import', rootfs, 'docker-envs-check/busybox:t'], { env }));
        const out = must('docker run', runCapture('docker', ['run', '--rm', '--network', 'none', 'docker-envs-check/busybox:t', '/bin/sh', '-c', 'echo ok'], { env }));
        if (out !== 'ok\n') throw new Error(`container printed ${JSON.stringify(out)}`);
        runCapture('docker', ['rmi', 'docker-envs-check/busybox:t'], { env });
        return `dockerd ${ver} (${d.storageDriver}) ready in ${Math.round(d.startMs)} ms; import + run --network none ok`;
      } finally {
        await d.stop();
      }
    }));
    results.push(await timed('registries', `${apt('docker-registry apache2-utils debootstrap')}; see .cache/harness/registry-*/registry.log`, async () => {
      const regs = await startRegistries();
      try {
        const lines: string[] = [];
        const images = JSON.parse(regs.env.DOCKER_ENVS_REGISTRY_IMAGES) as Record<string, { ref: string }>;
        for (const [mode, reg, creds] of [['open', regs.open, []], ['basic', regs.basic, ['--creds', `${regs.env.DOCKER_ENVS_REGISTRY_BASIC_USER}:${regs.env.DOCKER_ENVS_REGISTRY_BASIC_PASS}`]],
          ['token', regs.token, ['--creds', `${regs.env.DOCKER_ENVS_REGISTRY_TOKEN_USER}:${regs.env.DOCKER_ENVS_REGISTRY_TOKEN_PASS}`]]] as const) {
          for (const img of Object.values(images)) {
            // asynchronously: the token server answers from this process's event loop
            await execFileAsync('skopeo', ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${reg.host}/${img.ref}`], { timeout: 60_000 })
              .catch((err: Error) => { throw new Error(`skopeo inspect ${mode} ${img.ref}: ${err.message.split('\n').slice(-2).join(' ')}`); });
          }
          lines.push(`${mode} ${reg.host}`);
        }
        const faulty = await fetch(`http://${regs.faulty.host}/v2/`);
        if (faulty.status !== 200) throw new Error(`fault upstream /v2/ answered ${faulty.status}`);
        return `${lines.join(', ')}, faulty ${regs.faulty.host}: ${Object.keys(images).length} images each inspected by skopeo ` +
          `(seed ${regs.seeded.cached ? 'cached' : 'built'}, ready in ${Math.round(regs.startMs)} ms)`;
      } finally {
        await regs.stop();
      }
    }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

if (isMain(import.meta.url)) {
  const results = await checkPeers();
  for (const r of results) {
    console.log(`${r.ok ? 'OK  ' : 'FAIL'} ${r.peer.padEnd(16)} ${r.detail} (${Math.round(r.ms)} ms)`);
    if (!r.ok && r.fix) console.log(`     fix: ${r.fix}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed ? `${failed} peer check(s) failed` : 'all peers OK');
  process.exitCode = failed ? 1 : 0;
}
