// `rerun-doctor help [COMMAND]`: a command's help, as `COMMAND --help` prints it; alone, the usage.
import { defineCommand } from '../command-spec.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { COMMAND_NAMES, COMMANDS, isCommand, usage } from '../registry.js';
import { parseCommandArgs } from '../parse.js';

export const spec = defineCommand({
  name: 'help',
  usage: ['help [COMMAND]'],
  about: `Prints COMMAND's help (its options, examples and exit status), the same as
"rerun-doctor COMMAND --help". Without COMMAND, the list of commands.`,
  flags: {},
  common: false,
  positionals: { choices: COMMAND_NAMES.filter((n) => n !== 'help') },
  examples: [
    { run: 'rerun-doctor help clean', does: "clean's options, examples and exit status" },
    { run: 'rerun-doctor help', does: 'the commands, one line each' },
  ],
  exit: 'Exit status: 0, or 2 for an unknown command.',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [name, ...rest] = positionals;
  if (name === undefined) {
    io.stdout(usage());
    return EXIT.ok;
  }
  if (rest.length > 0) throw new UsageError(`help: expected one command, got "${positionals.join(' ')}"`);
  if (!isCommand(name)) throw new UsageError(`help: unknown command "${name}": expected one of ${COMMAND_NAMES.join(', ')}`);
  io.stdout((await COMMANDS[name].load()).spec.help);
  return EXIT.ok;
}
