import pkg from '../../package.json' with { type: 'json' };
import { CoreError } from '../core/errors';
import { COMMANDS, type CommandIo } from './commands';
import { commandHelp, generalHelp, parseCommand, usageLine, UsageError } from './options';

/** The help `docker-envs --help` prints (every command's table). */
export const USAGE = generalHelp(COMMANDS);

/**
 * Runs the CLI with the given arguments; returns the exit status: 0 done, 1 the command failed, 2 the
 * command line is wrong (an unknown command or option, a missing argument), with the usage line.
 */
export async function main(argv: string[], out: CommandIo['out'] = process.stdout, err: CommandIo['err'] = process.stderr): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    (name ? out : err).write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '-v' || name === '--version') {
    out.write(`docker-envs ${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    // -h/--help anywhere before a `--`: the command's help, whatever else is on the line
    const end = rest.indexOf('--');
    if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === '-h' || a === '--help')) {
      out.write(commandHelp(command));
      return 0;
    }
    const { values, positionals } = parseCommand(command, rest);
    return await command.run(values, positionals, { out, err });
  } catch (e) {
    if (e instanceof UsageError) {
      const spec = e.command ?? command;
      err.write(`docker-envs: ${e.message}\n${spec ? `${usageLine(spec)}\n(docker-envs ${spec.name} --help lists its options)` : 'Usage: docker-envs <command> [options] (docker-envs --help lists them)'}\n`);
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
