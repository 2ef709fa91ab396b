/** The CLI's commands: each one's table of options (parsing and `--help`, see options.ts) and what it runs. */
import { writeFileSync } from 'node:fs';
import { parseCommand, parseLabels } from '../core/pipeline/config';
import type { BuildCliOptions } from './build';
import { UsageError, type CommandSpec, type OptionSpec, type OptionValues } from './options';

/** Where a command writes: its result to out, progress and warnings to err. */
export interface CommandIo {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown; isTTY?: boolean };
}

/** A command's table and its action (returns the exit status). */
export interface Command extends CommandSpec {
  run(values: OptionValues, positionals: string[], io: CommandIo): Promise<number>;
}

const json: OptionSpec = { name: 'json', help: 'machine-readable output (JSON on stdout)' };
const platform: OptionSpec = { name: 'platform', arg: 'P', help: 'os/arch[/variant] to pick from a multi-platform image (default linux/amd64)' };
const registry: OptionSpec[] = [
  { name: 'creds', arg: 'U:P', help: 'registry username and password (kept in memory only)' },
  { name: 'insecure', help: 'plain http (loopback registries use it anyway, as docker does)' },
];
const cache: OptionSpec = { name: 'cache', arg: 'DIR', help: 'blob and repodata cache (default $XDG_CACHE_HOME/docker-envs)' };
const solveOptions: OptionSpec[] = [
  { name: 'base', short: 'b', arg: 'BASE', help: 'the base image: a registry reference, an image tarball or an OCI layout folder' },
  { name: 'package', short: 'p', arg: 'SPEC', multiple: true, help: 'a package spec (conda-forge::numpy>=2 works)' },
  { name: 'channel', short: 'c', arg: 'C', multiple: true, help: 'a channel name, URL or folder (default conda-forge)' },
  { name: 'file', arg: 'F', help: 'an environment.yml (channels, dependencies and variables)' },
  { name: 'platform', arg: 'P', help: 'the platform of BASE to build for (default linux/amd64)' },
  { name: 'prefix', arg: 'DIR', help: 'where the environment goes (default /opt/conda)' },
  ...registry, cache,
];

const str = (v: OptionValues[string]) => (typeof v === 'string' ? v : undefined);
const list = (v: OptionValues[string]) => (Array.isArray(v) ? v : []);
const writeJson = (io: CommandIo, value: unknown) => io.out.write(JSON.stringify(value, null, 2) + '\n');

function onePlatform(spec: CommandSpec, p: string | undefined): string | undefined {
  if (p?.includes(',')) throw new UsageError(`--platform ${p}: a lock is for one platform; give one (e.g. linux/amd64)`, spec);
  return p;
}

/** build's --platform: one, or several comma-separated (not with --lock: a lock is one platform's) */
async function platforms(spec: CommandSpec, p: string | undefined, lock: boolean): Promise<string | undefined> {
  if (!p?.includes(',')) return p;
  if (lock) return onePlatform(spec, p);
  // imported here: the module brings the whole build pipeline, which other commands never load
  const { parsePlatformList } = await import('../core/pipeline/multi-platform');
  try { parsePlatformList(p); } catch (e) { throw new UsageError(`--platform ${p}: ${(e as Error).message}`, spec); }
  return p;
}

const inspect: Command = {
  name: 'inspect', synopsis: 'FILE|DIR [options]',
  about: 'Show the images, layers, config, history and files of an image archive (docker save of any Docker\nversion, skopeo/crane tars, gzip-wrapped saves, OCI layouts as a tar or a folder).',
  positionals: { min: 1, max: 1, what: 'exactly one FILE or DIR' },
  options: [json, { name: 'layer', arg: 'N', help: 'list the files of layer N (0 = bottom layer)' },
    { name: 'merged', help: 'list the merged filesystem (after whiteouts), as a container sees it' }, { ...platform, help: 'image to pick from a multi-platform OCI layout (default linux/amd64)' }],
  async run(v, [path], io) {
    let layer: number | undefined;
    if (v.layer !== undefined) {
      layer = Number(v.layer);
      if (!Number.isInteger(layer)) throw new UsageError(`--layer wants a layer number, not "${str(v.layer)}"`, inspect);
    }
    const opts = { json: v.json === true, merged: v.merged === true, layer, platform: str(v.platform) };
    // each command's modules are imported when it runs: a command starts without reading the others' code
    const { inspectPath, renderSummary } = await import('./inspect');
    const summary = await inspectPath(path, opts);
    io.out.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : renderSummary(summary, opts));
    return 0;
  },
};

const build: Command = {
  name: 'build', synopsis: '-b BASE -i NAME:TAG (-p SPEC... | --file F | --lock F) (-o FILE | --push REF) [options]',
  about: 'Build an image: BASE plus conda packages, written as a docker-archive tar (docker load reads it) and/or\npushed to a registry. BASE is a registry reference (busybox:1.36; docker://REF forces one), an image\ntarball or an OCI layout folder (docker-archive:PATH, oci-archive:PATH or oci:PATH force a path).\nSOURCE_DATE_EPOCH sets every timestamp (default 0): same inputs, same image digest.',
  positionals: { min: 0, max: 0, what: 'no positional arguments' },
  options: [
    ...solveOptions.slice(0, 1), { name: 'image', short: 'i', arg: 'NAME:TAG', help: 'the tag of the image built' }, ...solveOptions.slice(1, 4),
    { name: 'lock', arg: 'F', help: 'an explicit lock (@EXPLICIT URLs#sha256, as solve writes) instead of solving' },
    { name: 'output', short: 'o', arg: 'FILE', help: 'the docker-archive tar to write' },
    { name: 'push', arg: 'REF', help: 'push the image built to this registry reference (with or without -o)' },
    { ...solveOptions[4], arg: 'P[,P…]', help: 'the platform(s) of BASE to build for (default linux/amd64); several give an image index' }, solveOptions[5],
    { name: 'layering', arg: 'layered|single', help: 'layered: a layer per package within the layer cap (default); single: one layer' },
    { name: 'max-layers', arg: 'N', help: "at most N layers in the image, the base's included" },
    { name: 'entrypoint', arg: 'E', help: "the image's entrypoint: a JSON array or words" },
    { name: 'cmd', arg: 'C', help: "the image's command: a JSON array or words" },
    { name: 'label', arg: 'K=V', multiple: true, help: 'a label of the image' },
    { name: 'no-layer-cache', help: 'build every layer (built layers are otherwise kept in the cache folder and reused)' },
    ...solveOptions.slice(6), json,
  ],
  async run(v, _, io) {
    const tag = str(v.image);
    const [output, push] = [str(v.output), str(v.push)];
    if (!str(v.base) || !tag || (!output && !push)) throw new UsageError('build needs -b BASE, -i NAME:TAG and -o FILE or --push REF', build);
    const layering = str(v.layering);
    if (layering && layering !== 'layered' && layering !== 'single') throw new UsageError('--layering is layered or single', build);
    const maxLayers = v['max-layers'] === undefined ? undefined : Number(v['max-layers']);
    if (maxLayers !== undefined && !(Number.isInteger(maxLayers) && maxLayers > 0)) throw new UsageError(`--max-layers wants a whole number above 0, not "${str(v['max-layers'])}"`, build);
    const platform = await platforms(build, str(v.platform), !!str(v.lock));
    const { buildToArchive } = await import('./build');
    const r = await buildToArchive({
      base: str(v.base)!, tag, specs: list(v.package), channels: list(v.channel), output, push, file: str(v.file), lock: str(v.lock),
      platform, prefix: str(v.prefix), layering: layering as 'layered' | 'single' | undefined, maxLayers,
      creds: str(v.creds), insecure: v.insecure === true, cache: str(v.cache), log: (s) => io.err.write(`  ${s}\n`), progress: io.err,
      image: imageSettings(str(v.entrypoint), str(v.cmd), list(v.label)), layerCache: v['no-layer-cache'] !== true,
    });
    for (const w of r.warnings) io.err.write(`warning: ${w}\n`);
    if (v.json) writeJson(io, { image: tag, ...r, ...(output ? { output } : {}), ...(push ? { push } : {}) });
    else io.out.write(`${tag} ${r.digest}: ${r.packages} packages in ${r.layers} layers (${r.cachedLayers} from the layer cache) → ${[output, r.pushed && `${push}@${r.pushed}`].filter(Boolean).join(', ')}\n`);
    return 0;
  },
};

/** build's --entrypoint, --cmd and --label as the pipeline takes them (undefined when none is given). */
function imageSettings(entrypointArg: string | undefined, cmdArg: string | undefined, labelArgs: string[]): BuildCliOptions['image'] {
  const entrypoint = entrypointArg === undefined ? undefined : parseCommand(entrypointArg);
  const cmd = cmdArg === undefined ? undefined : parseCommand(cmdArg);
  const labels = labelArgs.length ? parseLabels(labelArgs) : undefined;
  return entrypoint || cmd || labels ? { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}), ...(labels ? { labels } : {}) } : undefined;
}

const solve: Command = {
  name: 'solve', synopsis: '-b BASE (-p SPEC... | --file F) [-o FILE] [options]',
  about: 'Solve the packages for BASE (its platform, glibc and any conda prefix in it) and write what BASE lacks\nas an explicit lock (@EXPLICIT URLs#sha256, then --file\'s pip packages as `# pip name @ wheel-URL#sha256=…`\nlines, as conda-lock writes them; stdout without -o), which build --lock installs.',
  positionals: { min: 0, max: 0, what: 'no positional arguments' },
  options: [...solveOptions.slice(0, 4), { name: 'output', short: 'o', arg: 'FILE', help: 'where to write the lock (default stdout)' }, ...solveOptions.slice(4), json],
  async run(v, _, io) {
    if (!str(v.base)) throw new UsageError('solve needs -b BASE (the image whose platform, glibc and conda prefix the solve is for)', solve);
    const { solveToLock } = await import('./build');
    const r = await solveToLock({
      base: str(v.base)!, specs: list(v.package), channels: list(v.channel), file: str(v.file), platform: onePlatform(solve, str(v.platform)),
      prefix: str(v.prefix), creds: str(v.creds), insecure: v.insecure === true, cache: str(v.cache), log: (s) => io.err.write(`  ${s}\n`),
    });
    for (const w of r.warnings) io.err.write(`warning: ${w}\n`);
    const output = str(v.output);
    if (output) writeFileSync(output, r.lock);
    if (v.json) writeJson(io, { ...r, ...(output ? { output } : {}) });
    else if (!output) io.out.write(r.lock);
    io.err.write(`${r.packages} packages${r.pip.length ? ` and ${r.pip.length} pip packages` : ''} for ${r.subdir} (${r.virtual.join(', ')})${output ? ` → ${output}` : ''}\n`);
    return 0;
  },
};

const diff: Command = {
  name: 'diff', synopsis: 'A B [options]',
  about: 'Compare two images (archives, OCI layout folders or registry references): layers shared (by diff_id),\nconfig differences (env, entrypoint, labels…), conda packages added, removed or changed in each prefix.',
  positionals: { min: 2, max: 2, what: 'two images (archives, OCI layout folders or registry references)' },
  options: [{ name: 'files', help: 'the merged filesystems too, entry by entry (type, size, mode, owner, link)' },
    { name: 'image', arg: 'NAME:TAG', multiple: true, help: 'in an archive of several images, the one to compare; twice: for A, then B' },
    json, platform, ...registry, cache],
  async run(v, [a, b], io) {
    const { diffPaths, renderDiff } = await import('./diff');
    const c = await diffPaths(a, b, {
      files: v.files === true, insecure: v.insecure === true, platform: str(v.platform), creds: str(v.creds), cache: str(v.cache),
      ...(v.image ? { image: list(v.image) } : {}),
    });
    io.out.write(v.json ? JSON.stringify(c, null, 2) + '\n' : renderDiff(c, [a, b]));
    return 0;
  },
};

const pull: Command = {
  name: 'pull', synopsis: 'REF -o FILE [options]',
  about: 'Pull an image from a registry into a docker-archive tar (docker load reads it).',
  positionals: { min: 1, max: 1, what: 'exactly one image reference' },
  options: [{ name: 'output', short: 'o', arg: 'FILE', help: 'the docker-archive tar to write' }, platform, ...registry, cache, json],
  async run(v, [ref], io) {
    const output = str(v.output);
    if (!output) throw new UsageError('pull needs -o FILE', pull);
    const { pullToArchive } = await import('./pull');
    const r = await pullToArchive(ref, { output, platform: str(v.platform), creds: str(v.creds), insecure: v.insecure === true, cache: str(v.cache), progress: io.err });
    if (v.json) writeJson(io, { ref, ...r, output });
    else io.out.write(`${ref} (${r.platform}) ${r.manifestDigest} → ${output}\n`);
    return 0;
  },
};

const push: Command = {
  name: 'push', synopsis: 'IMAGE REF [options]',
  about: "Push an image to a registry (blobs already there are skipped, a reference's mounted): IMAGE is an\narchive or OCI layout folder holding one image, or a reference.",
  positionals: { min: 2, max: 2, what: 'IMAGE (an archive, a folder or a reference) and REF' },
  options: [...registry],
  async run(v, [image, ref], io) {
    const { pushFromArchive } = await import('./pull');
    const r = await pushFromArchive(image, ref, { creds: str(v.creds), insecure: v.insecure === true, progress: io.err });
    const up = r.blobs.filter((x) => x.how === 'uploaded');
    io.out.write(`${ref} ${r.digest}: ${up.length} blob(s) uploaded (${up.reduce((n, x) => n + x.size, 0)} bytes), ${r.blobs.length - up.length} already there\n`);
    return 0;
  },
};

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [inspect, build, solve, diff, pull, push];
