/** Virtual packages of a base image: __glibc from the libc it ships (none for musl or scratch), __linux, __unix, __archspec. */
import { scanLayers, type Image, type LayerEntryVisitor } from '../image';
import type { VirtualPackage } from '../solver';

const LIBC = /^(?:usr\/)?lib(?:64|32)?(?:\/[^/]+-linux-gnu[^/]*)?\/libc(?:-(\d+\.\d+))?\.so(?:\.6)?$/;
const ARCHSPEC: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64', ppc64le: 'ppc64le', s390x: 's390x', arm: 'armv7l' };

/** A layer visitor that finds the glibc version a base ships, from its libc's file name or contents. */
export function glibcVisitor(): LayerEntryVisitor & { found(): string | undefined } {
  let found: string | undefined;
  return {
    found: () => found,
    async visit(entry, body) {
      const path = entry.name.replace(/^\.?\//, '');
      const m = path.match(LIBC);
      if (!m) return;
      if (m[1]) { found = m[1]; return; }
      if (entry.type !== 'file' || entry.size > 32 * 1024 * 1024) return;
      const text = new TextDecoder('latin1').decode(new Uint8Array(await new Response(body).arrayBuffer()));
      const v = text.match(/GNU C Library[^\n]*?release version (\d+\.\d+)/);
      if (v) { found = v[1]; return; }
      // else the newest symbol version it defines
      const minors = [...text.matchAll(/GLIBC_2\.(\d+)/g)].map((x) => Number(x[1]));
      if (minors.length) found = `2.${Math.max(...minors)}`;
    },
  };
}

/** The glibc version the base ships, read from its libc's file name or its version string; undefined for none. */
export async function detectGlibc(image: Image): Promise<string | undefined> {
  const v = glibcVisitor();
  await scanLayers(image, [v]);
  return v.found();
}

/**
 * Virtual packages for a base image on a platform; `overrides` replace or add (version '' removes).
 * `glibc`: the version already found by a scan of the base (see glibcVisitor); read from the layers otherwise.
 */
export async function virtualPackagesFor(image: Image, overrides: VirtualPackage[] = [], scanned?: { glibc: string | undefined }): Promise<VirtualPackage[]> {
  const cfg = await image.config();
  const out = new Map<string, VirtualPackage>();
  if (cfg.os === 'linux') {
    out.set('__unix', { name: '__unix', version: '0' });
    out.set('__linux', { name: '__linux', version: '5.10' });
    const glibc = scanned ? scanned.glibc : await detectGlibc(image);
    if (glibc) out.set('__glibc', { name: '__glibc', version: glibc });
  }
  const arch = ARCHSPEC[cfg.architecture];
  if (arch) out.set('__archspec', { name: '__archspec', version: '1', build: arch });
  for (const o of overrides) {
    if (o.version === '') out.delete(o.name); else out.set(o.name, o);
  }
  return [...out.values()];
}

/** The conda subdir of an image platform (linux/amd64 → linux-64). */
export function condaSubdir(os: string, arch: string): string {
  const m: Record<string, string> = { amd64: '64', arm64: 'aarch64', ppc64le: 'ppc64le', s390x: 's390x', arm: 'armv7l', '386': '32' };
  return `${os === 'darwin' ? 'osx' : os}-${m[arch] ?? arch}`;
}
