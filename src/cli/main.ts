import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { CoreError } from '../core/errors';
import { inspectPath, renderSummary } from './inspect';
import { buildToArchive, solveToLock, type BuildCliOptions } from './build';
import { parseCommand, parseLabels } from '../core/pipeline/config';
import { diffPaths, renderDiff } from './diff';
import { pullToArchive, pushFromArchive } from './pull';

const USAGE = `Usage: docker-envs <command> [options]

Commands:
  inspect FILE|DIR   Show the images, layers, config, history and files of an image archive
                     (docker save of any Docker version, skopeo/crane tars, gzip-wrapped saves,
                     OCI layouts as a tar or a folder).
      --json         machine-readable output
      --layer N      list the files of layer N (0 = bottom layer)
      --merged       list the merged filesystem (after whiteouts), as a container sees it
      --platform P   image to pick from a multi-platform OCI layout (default linux/amd64)

  build -b BASE -i NAME:TAG -p SPEC... -o FILE
                     Build an image: BASE plus conda packages. BASE is a registry reference
                     (busybox:1.36, localhost:5000/x/y@sha256:…; docker://REF forces one), an image
                     tarball (docker save, skopeo/crane, OCI layout tar, gzip-wrapped) or an OCI layout
                     folder (docker-archive:PATH, oci-archive:PATH or oci:PATH force a path)
      -p, --package SPEC   a package spec (repeatable; conda-forge::numpy>=2 works)
      -c, --channel C      a channel name or URL (repeatable; default conda-forge)
      --file F             an environment.yml (channels and dependencies)
      --lock F             an explicit lock (@EXPLICIT URLs#sha256) instead of solving
      --platform P, --prefix DIR (default /opt/conda), --layering layered|single, --max-layers N
      --entrypoint E, --cmd C   the image's entrypoint and command: a JSON array or words
      --label K=V          a label of the image (repeatable)
      --creds U:P, --insecure, --cache DIR   as for pull (when BASE is a reference)
      SOURCE_DATE_EPOCH sets every timestamp (default 0): same inputs, same image digest

  solve -b BASE -p SPEC... [-o FILE]
                     Solve the packages for BASE (its platform, glibc and any conda prefix in it) and
                     write what BASE lacks as an explicit lock (@EXPLICIT URLs#sha256; stdout without
                     -o), which build --lock installs
      -p, -c, --file, --platform, --prefix, --creds, --insecure, --cache   as for build (BASE too)

  diff A B           Compare two images (archives, OCI layout folders or registry references): layers
                     shared (by diff_id), config differences (env, entrypoint, labels…), conda packages
                     added, removed or changed in each prefix
      --files        the merged filesystems too, entry by entry (type, size, mode, owner, link)
      --image NAME:TAG   in an archive holding several images, the one to compare (else the first,
                     with a warning); give it twice for A and B
      --json         machine-readable output
      --platform P, --creds U:P, --insecure, --cache DIR   as for pull

  pull REF -o FILE   Pull an image from a registry into a docker-archive tar (docker load reads it)
      --platform P   os/arch[/variant] to pick from a multi-platform image (default linux/amd64)
      --creds U:P    registry username and password (kept in memory only)
      --insecure     plain http (loopback registries use it anyway, as docker does)
      --cache DIR    blob cache (default $XDG_CACHE_HOME/docker-envs)

  push IMAGE REF     Push an image to a registry (existing blobs are skipped, a reference's mounted):
                     IMAGE is an archive or OCI layout folder holding one image, or a reference
      --creds U:P, --insecure   as for pull

Options:
  -h, --help         this help
  -v, --version      the version
`;

/** build's --entrypoint, --cmd and --label as the pipeline takes them (undefined when none is given). */
function imageSettings(v: { entrypoint?: string; cmd?: string; label?: string[] }): BuildCliOptions['image'] {
  const entrypoint = v.entrypoint === undefined ? undefined : parseCommand(v.entrypoint);
  const cmd = v.cmd === undefined ? undefined : parseCommand(v.cmd);
  const labels = v.label?.length ? parseLabels(v.label) : undefined;
  return entrypoint || cmd || labels ? { ...(entrypoint ? { entrypoint } : {}), ...(cmd ? { cmd } : {}), ...(labels ? { labels } : {}) } : undefined;
}

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[], out: { write(s: string): unknown } = process.stdout, err: { write(s: string): unknown } = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    out.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === '-v' || command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    out.write(`docker-envs ${pkg.version}\n`);
    return 0;
  }
  try {
    if (command === 'inspect') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false },
          layer: { type: 'string' },
          merged: { type: 'boolean', default: false },
          platform: { type: 'string' },
        },
      });
      if (positionals.length !== 1) throw new UsageError('inspect takes exactly one FILE or DIR');
      let layer: number | undefined;
      if (values.layer !== undefined) {
        layer = Number(values.layer);
        if (!Number.isInteger(layer)) throw new UsageError(`--layer wants a layer number, not "${values.layer}"`);
      }
      const opts = { json: values.json!, merged: values.merged!, layer, platform: values.platform };
      const summary = await inspectPath(positionals[0], opts);
      out.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : renderSummary(summary, opts));
      return 0;
    }
    if (command === 'pull') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          output: { type: 'string', short: 'o' },
          platform: { type: 'string' },
          creds: { type: 'string' },
          insecure: { type: 'boolean', default: false },
          cache: { type: 'string' },
        },
      });
      if (positionals.length !== 1) throw new UsageError('pull takes exactly one image reference');
      if (!values.output) throw new UsageError('pull needs -o FILE');
      const r = await pullToArchive(positionals[0], {
        output: values.output, platform: values.platform, creds: values.creds, insecure: values.insecure, cache: values.cache,
        progress: process.stderr,
      });
      out.write(`${positionals[0]} (${r.platform}) ${r.manifestDigest} → ${values.output}\n`);
      return 0;
    }
    if (command === 'build') {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: {
          base: { type: 'string', short: 'b' }, image: { type: 'string', short: 'i' }, package: { type: 'string', short: 'p', multiple: true },
          channel: { type: 'string', short: 'c', multiple: true }, output: { type: 'string', short: 'o' }, file: { type: 'string' }, lock: { type: 'string' },
          platform: { type: 'string' }, prefix: { type: 'string' }, layering: { type: 'string' }, 'max-layers': { type: 'string' },
          creds: { type: 'string' }, insecure: { type: 'boolean', default: false }, cache: { type: 'string' },
          entrypoint: { type: 'string' }, cmd: { type: 'string' }, label: { type: 'string', multiple: true },
        },
      });
      if (positionals.length) throw new UsageError(`build takes no positional arguments (got ${positionals.join(' ')})`);
      if (!values.base || !values.image || !values.output) throw new UsageError('build needs -b BASE, -i NAME:TAG and -o FILE');
      if (values.layering && values.layering !== 'layered' && values.layering !== 'single') throw new UsageError('--layering is layered or single');
      const r = await buildToArchive({
        base: values.base, tag: values.image, specs: values.package ?? [], channels: values.channel ?? [], output: values.output,
        file: values.file, lock: values.lock, platform: values.platform, prefix: values.prefix, layering: values.layering as 'layered' | 'single' | undefined,
        maxLayers: values['max-layers'] ? Number(values['max-layers']) : undefined, creds: values.creds, insecure: values.insecure, cache: values.cache,
        image: imageSettings(values),
        log: (s) => err.write(`  ${s}\n`), progress: process.stderr,
      });
      for (const w of r.warnings) err.write(`warning: ${w}\n`);
      out.write(`${values.image} ${r.digest}: ${r.packages} packages in ${r.layers} layers → ${values.output}\n`);
      return 0;
    }
    if (command === 'solve') {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: {
          base: { type: 'string', short: 'b' }, package: { type: 'string', short: 'p', multiple: true }, channel: { type: 'string', short: 'c', multiple: true },
          output: { type: 'string', short: 'o' }, file: { type: 'string' }, platform: { type: 'string' }, prefix: { type: 'string' },
          creds: { type: 'string' }, insecure: { type: 'boolean', default: false }, cache: { type: 'string' },
        },
      });
      if (positionals.length) throw new UsageError(`solve takes no positional arguments (got ${positionals.join(' ')})`);
      if (!values.base) throw new UsageError('solve needs -b BASE (the image whose platform, glibc and conda prefix the solve is for)');
      const r = await solveToLock({
        base: values.base, specs: values.package ?? [], channels: values.channel ?? [], file: values.file, platform: values.platform,
        prefix: values.prefix, creds: values.creds, insecure: values.insecure, cache: values.cache, log: (s) => err.write(`  ${s}\n`),
      });
      for (const w of r.warnings) err.write(`warning: ${w}\n`);
      if (values.output) writeFileSync(values.output, r.lock);
      else out.write(r.lock);
      err.write(`${r.packages} packages for ${r.subdir} (${r.virtual.join(', ')})${values.output ? ` → ${values.output}` : ''}\n`);
      return 0;
    }
    if (command === 'diff') {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: {
          files: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, platform: { type: 'string' },
          image: { type: 'string', multiple: true },
          creds: { type: 'string' }, insecure: { type: 'boolean', default: false }, cache: { type: 'string' },
        },
      });
      if (positionals.length !== 2) throw new UsageError('diff takes two images (archives, OCI layout folders or registry references)');
      const c = await diffPaths(positionals[0], positionals[1], {
        files: values.files, insecure: values.insecure, ...(values.platform ? { platform: values.platform } : {}),
        ...(values.image ? { image: values.image } : {}),
        ...(values.creds ? { creds: values.creds } : {}), ...(values.cache ? { cache: values.cache } : {}),
      });
      out.write(values.json ? JSON.stringify(c, null, 2) + '\n' : renderDiff(c, [positionals[0], positionals[1]]));
      return 0;
    }
    if (command === 'push') {
      const { values, positionals } = parseArgs({
        args: rest, allowPositionals: true,
        options: { creds: { type: 'string' }, insecure: { type: 'boolean', default: false } },
      });
      if (positionals.length !== 2) throw new UsageError('push takes IMAGE (an archive, a folder or a reference) and REF');
      const r = await pushFromArchive(positionals[0], positionals[1], { creds: values.creds, insecure: values.insecure });
      const up = r.blobs.filter((b) => b.how === 'uploaded');
      out.write(`${positionals[1]} ${r.digest}: ${up.length} blob(s) uploaded (${up.reduce((a, b) => a + b.size, 0)} bytes), ${r.blobs.length - up.length} already there\n`);
      return 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`docker-envs: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err.write(describeFailure(e));
    return 1;
  }
}

/**
 * How the CLI reports an error: `docker-envs: error [code]: message`, then a line for each cause in its
 * chain; never a stack trace (what failed and what to do are in the messages).
 */
export function describeFailure(e: unknown): string {
  const line = (lead: string, x: unknown) => `${lead}${x instanceof CoreError ? ` [${x.code}]` : ''}: ${x instanceof Error ? x.message : String(x)}`;
  const lines = [line('docker-envs: error', e)];
  const seen = new Set<unknown>([e]);
  for (let c = e instanceof Error ? e.cause : undefined; c !== undefined && !seen.has(c) && seen.size < 16; c = c instanceof Error ? c.cause : undefined) {
    seen.add(c);
    lines.push(line('  caused by', c));
  }
  return lines.join('\n') + '\n';
}

class UsageError extends Error {}
