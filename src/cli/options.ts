/**
 * The CLI's commands and options as data: each command's options are declared once, in its table, which
 * both parses the arguments (node:util parseArgs) and prints `--help`, so the two never disagree.
 */
import { parseArgs } from 'node:util';

/** One option of a command. */
export interface OptionSpec {
  /** the long name, without `--` */
  name: string;
  short?: string;
  /** the value's placeholder (SPEC, FILE…); absent for a flag */
  arg?: string;
  /** given more than once, each value kept */
  multiple?: boolean;
  help: string;
}

/** A command: its synopsis, what it does, its options and how it runs. */
export interface CommandSpec {
  name: string;
  /** what follows the command name in the usage line (`-b BASE -i NAME:TAG …`) */
  synopsis: string;
  about: string;
  options: OptionSpec[];
  /** how many positional arguments it takes, and what they are when the count is wrong */
  positionals: { min: number; max: number; what: string };
}

/** Parsed options: a string (or strings, when multiple) per option given, true per flag given. */
export type OptionValues = Record<string, string | string[] | boolean | undefined>;

/** A mistake in the command line (exit status 2, with the usage line): the command ran nothing. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: CommandSpec) {
    super(message);
  }
}

/** Parses a command's arguments by its table; an unknown option, a missing value or a wrong count is a UsageError. */
export function parseCommand(spec: CommandSpec, args: string[]): { values: OptionValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of spec.options) options[o.name] = { type: o.arg ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    // node's messages name the option ("Unknown option '--x'", "Option '-o, --output <value>' argument missing")
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''), spec);
  }
  const { values, positionals } = parsed;
  const { min, max, what } = spec.positionals;
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(`${spec.name} takes ${what}${positionals.length ? ` (got ${positionals.join(' ')})` : ''}`, spec);
  }
  return { values: values as OptionValues, positionals };
}

/** The usage line of a command. */
export function usageLine(spec: CommandSpec): string {
  return `Usage: docker-envs ${spec.name} ${spec.synopsis}`.trimEnd();
}

function optionLines(options: OptionSpec[]): string[] {
  return options.map((o) => {
    const names = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.arg ? ` ${o.arg}` : ''}${o.multiple ? '...' : ''}`;
    return `      ${names.length > 22 ? `${names}  ` : names.padEnd(23)}${o.help}`;
  });
}

/** `docker-envs CMD --help`: the usage line, what it does and every option of the table. */
export function commandHelp(spec: CommandSpec): string {
  return [usageLine(spec), '', ...spec.about.split('\n').map((l) => `  ${l}`), '', 'Options:', ...optionLines(spec.options)].join('\n') + '\n';
}

/** `docker-envs --help`: every command with its options, from the same tables. */
export function generalHelp(commands: CommandSpec[]): string {
  const lines = ['Usage: docker-envs <command> [options]', '', 'Commands:'];
  for (const c of commands) {
    lines.push(`  ${c.name} ${c.synopsis}`, ...c.about.split('\n').map((l) => `      ${l}`), ...optionLines(c.options), '');
  }
  lines.push('Options:', '  -h, --help             this help (docker-envs COMMAND --help: that command only)', '  -v, --version          the version', '');
  return lines.join('\n');
}
