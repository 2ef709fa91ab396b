/**
 * The conda prefix a base image may already hold (`<prefix>/conda-meta/*.json`, as in continuumio/miniconda3):
 * its records are read so the solve keeps them installed and only adds what is missing. Layers are read in
 * order; later layers replace records and whiteouts remove them, as the merged filesystem would.
 */
import type { PackageRecord } from '../conda/types';
import { distributionsInPaths, type InstalledDistribution } from '../pip/installed';
import { CoreError } from '../errors';
import { scanLayers, type Image, type LayerEntryVisitor } from '../image';

const MAX_RECORD = 64 * 1024 * 1024;

/** Maps one conda-meta record (JSON) to a PackageRecord; `where` names it in errors. */
export function recordFromCondaMeta(json: unknown, where: string): PackageRecord {
  const r = json as Record<string, unknown>;
  if (!r || typeof r.name !== 'string' || typeof r.version !== 'string' || typeof r.build !== 'string') {
    throw new CoreError('invalid-image', `${where} is not a conda-meta record (name, version and build are required)`);
  }
  const fn = typeof r.fn === 'string' ? r.fn : `${r.name}-${r.version}-${r.build}.conda`;
  const url = typeof r.url === 'string' ? r.url : '';
  const subdir = typeof r.subdir === 'string' ? r.subdir : url.split('/').at(-2) ?? 'noarch';
  const channel = url.endsWith(`/${subdir}/${fn}`) ? url.slice(0, url.length - `${subdir}/${fn}`.length) : typeof r.channel === 'string' ? `${r.channel.replace(/\/*$/, '')}/` : '';
  return {
    name: r.name, version: r.version, build: r.build, buildNumber: Number(r.build_number ?? 0), subdir, url, channel, fn,
    depends: Array.isArray(r.depends) ? r.depends.map(String) : [],
    ...(typeof r.sha256 === 'string' ? { sha256: r.sha256 } : {}), ...(typeof r.md5 === 'string' ? { md5: r.md5 } : {}),
    ...(typeof r.size === 'number' ? { size: r.size } : {}),
  };
}

/**
 * A layer visitor that collects the conda-meta records of `prefix`, and its `conda-meta/history` (the revisions a
 * build appends to), as the merged filesystem holds them.
 */
export function condaMetaVisitor(prefix = '/opt/conda'): LayerEntryVisitor & { records(): PackageRecord[]; history(): string | undefined; distributions(): InstalledDistribution[] } {
  const dir = `${prefix.replace(/^\/+|\/+$/g, '')}/conda-meta/`;
  const found = new Map<string, PackageRecord>();
  // the Python distributions each record's `files` put in site-packages (what pip sees as installed)
  const dists = new Map<string, InstalledDistribution[]>();
  let history: string | undefined;
  const clear = () => { found.clear(); dists.clear(); history = undefined; };
  return {
    records: () => [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    history: () => history,
    distributions: () => [...dists.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([, d]) => d),
    async visit(entry, body) {
      const path = entry.name.replace(/^\.?\/+/, '');
      if (!path.startsWith(dir) && `${path.replace(/\/+$/, '')}/` !== dir) {
        // a whiteout of the prefix or a parent removes every record
        const wh = path.match(/^(.*?)\.wh\.([^/]+)$/);
        if (wh && (wh[2] === '.wh..opq' ? dir.startsWith(wh[1]) : dir.startsWith(`${wh[1]}${wh[2]}/`))) clear();
        return;
      }
      const rest = path.slice(dir.length);
      if (rest === '.wh..wh..opq') clear();
      else if (rest === '.wh.history') history = undefined;
      else if (rest.startsWith('.wh.')) { found.delete(rest.slice(4)); dists.delete(rest.slice(4)); }
      else if (rest === 'history') history = entry.type === 'file' && entry.size <= MAX_RECORD ? await new Response(body).text() : undefined;
      else if (entry.type === 'file' && /^[^/]+\.json$/.test(rest) && entry.size <= MAX_RECORD) {
        const text = await new Response(body).text();
        let json: unknown;
        try { json = JSON.parse(text); } catch (e) { throw new CoreError('invalid-image', `/${path} is not JSON`, { cause: e }); }
        const record = recordFromCondaMeta(json, `/${path}`);
        found.set(rest, record);
        const files = (json as { files?: unknown }).files;
        dists.set(rest, Array.isArray(files) ? distributionsInPaths(files.filter((f): f is string => typeof f === 'string'), record.fn) : []);
      }
      // any other body is skipped by the walk
    },
  };
}

/** What `prefix` of an image holds in conda-meta: its package records (sorted by name) and its history, if any. */
export interface CondaMeta {
  records: PackageRecord[];
  /** the Python distributions those records' files put in site-packages */
  distributions?: InstalledDistribution[];
  history?: string;
}

/** Reads the conda-meta of `prefix` in the image (no records and no history when it holds no prefix): one walk of its layers. */
export async function readCondaMeta(image: Image, prefix = '/opt/conda'): Promise<CondaMeta> {
  const v = condaMetaVisitor(prefix);
  await scanLayers(image, [v]);
  const history = v.history();
  const distributions = v.distributions();
  return { records: v.records(), ...(distributions.length ? { distributions } : {}), ...(history !== undefined ? { history } : {}) };
}

/** The packages installed in `prefix` of the base image (empty when it holds none), sorted by name. */
export async function readInstalledPackages(image: Image, prefix = '/opt/conda'): Promise<PackageRecord[]> {
  return (await readCondaMeta(image, prefix)).records;
}
