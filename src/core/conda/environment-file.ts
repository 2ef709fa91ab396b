/**
 * environment.yml (conda's environment file), read with a real YAML parser into a typed document and
 * written back: the CLI's `--file` and the browser's import and export use this one reader.
 * https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node as YamlNode } from 'yaml';
import { CoreError } from '../errors';

/** An environment.yml as a document. */
export interface EnvironmentFile {
  name?: string;
  /** in priority order */
  channels: string[];
  /** conda match specs (`python=3.11`, `conda-forge::numpy>=2`) */
  dependencies: string[];
  /** the `- pip:` list: requirements and index options, as a requirements file holds them */
  pip: string[];
  /** environment variables the environment sets (the image's Env) */
  variables: Record<string, string>;
  /** what was read but not used (unknown keys, the conda-only `prefix:`) */
  warnings: string[];
}

const KNOWN = new Set(['name', 'channels', 'dependencies', 'variables']);

/**
 * Reads an environment.yml. Malformed YAML, or a known key of the wrong shape, is a CoreError
 * ('environment-invalid') naming its line; an unknown key is a warning.
 */
export function readEnvironmentYaml(text: string): EnvironmentFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (n: { range?: [number, number, number] | null } | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : undefined);
  const fail = (line: number | undefined, what: string): never => {
    throw new CoreError('environment-invalid', `environment.yml${line ? ` line ${line}` : ''}: ${what}`);
  };
  const first = doc.errors[0];
  if (first) fail(lines.linePos(first.pos[0]).line, first.message);
  const out: EnvironmentFile = { channels: [], dependencies: [], pip: [], variables: {}, warnings: [] };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!isMap(root)) return fail(lineOf(root as YamlNode), 'expected a mapping of name, channels, dependencies, variables');
  /** a scalar's text (numbers and booleans as written: `- 3.11` is the spec "3.11") */
  const scalar = (n: unknown, what: string): string => {
    if (!isScalar(n) || n.value === null || typeof n.value === 'object') return fail(lineOf(n as YamlNode), `${what} should be a plain value`);
    return typeof n.source === 'string' ? n.source : String(n.value);
  };
  const list = (n: unknown, what: string): unknown[] => {
    if (n === null || (isScalar(n) && n.value === null)) return [];
    if (!isSeq(n)) return fail(lineOf(n as YamlNode), `${what} should be a list`);
    return n.items;
  };
  for (const pair of root.items) {
    const key = scalar(pair.key, 'a key');
    const line = lineOf(pair.key as YamlNode);
    if (key === 'name') out.name = scalar(pair.value, 'name');
    else if (key === 'channels') out.channels = list(pair.value, 'channels').map((c) => scalar(c, 'a channel'));
    else if (key === 'dependencies') {
      for (const item of list(pair.value, 'dependencies')) {
        if (isMap(item)) {
          for (const sub of item.items) {
            const k = scalar(sub.key, 'a key');
            if (k !== 'pip') fail(lineOf(sub.key as YamlNode), `a dependency is a spec or a "pip:" list, not "${k}:"`);
            out.pip.push(...list(sub.value, 'pip').map((p) => scalar(p, 'a pip requirement')));
          }
        } else out.dependencies.push(scalar(item, 'a dependency'));
      }
    } else if (key === 'variables') {
      const v = pair.value;
      if (v === null || (isScalar(v) && v.value === null)) continue;
      if (!isMap(v)) fail(lineOf(v as YamlNode), 'variables should be a mapping of NAME: value');
      for (const p of (v as { items: { key: unknown; value: unknown }[] }).items) {
        const name = scalar(p.key, 'a variable name');
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(lineOf(p.key as YamlNode), `"${name}" is not an environment variable name`);
        out.variables[name] = p.value === null || (isScalar(p.value) && p.value.value === null) ? '' : scalar(p.value, `variable ${name}`);
      }
    } else if (key === 'prefix') out.warnings.push(`environment.yml line ${line}: "prefix:" is ignored (the image's prefix is --prefix)`);
    else if (!KNOWN.has(key)) out.warnings.push(`environment.yml line ${line}: unknown key "${key}" is ignored`);
  }
  return out;
}

/** environment.yml for an environment (what the image records beside conda-meta). */
export function writeEnvironmentYaml(env: Pick<EnvironmentFile, 'channels' | 'dependencies'> & Partial<Pick<EnvironmentFile, 'name' | 'pip' | 'variables'>>): string {
  const dependencies: (string | { pip: string[] })[] = [...env.dependencies, ...(env.pip?.length ? [{ pip: env.pip }] : [])];
  return stringify({
    name: env.name ?? 'base', channels: env.channels, dependencies,
    ...(env.variables && Object.keys(env.variables).length ? { variables: env.variables } : {}),
  });
}
