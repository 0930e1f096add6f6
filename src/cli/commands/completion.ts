// `rerun-doctor completion bash|zsh|fish`: a completion script, written from the command and
// flag tables (src/cli/completion/).
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { loadCompletionModel, type CompletionModel } from '../completion/model.js';
import { zshScript } from '../completion/zsh.js';
import { defineCommand } from '../command-spec.js';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { parseCommandArgs } from '../parse.js';

const SCRIPTS: Record<string, (m: CompletionModel) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };
const SHELLS = Object.keys(SCRIPTS);

export const spec = defineCommand({
  name: 'completion',
  usage: ['completion bash|zsh|fish'],
  about: `Prints a completion script for the shell: the commands, each command's options, and the values
of the options that take one of a few (diagnose --format text|markdown|json, check --stop
int|term|kill) or a path. Load it in every new shell, or save it where the shell looks:

  bash   in ~/.bashrc: source <(rerun-doctor completion bash)
         or save it as ~/.local/share/bash-completion/completions/rerun-doctor
  zsh    save it as _rerun-doctor in a directory of $fpath (before compinit runs),
         or, after compinit: source <(rerun-doctor completion zsh)
  fish   save it as ~/.config/fish/completions/rerun-doctor.fish`,
  flags: {},
  common: false,
  positionals: { choices: SHELLS },
  examples: [
    { run: 'source <(rerun-doctor completion bash)', does: 'completion in this bash, from now on' },
    { run: 'rerun-doctor completion zsh > ~/.zfunc/_rerun-doctor', does: 'for zsh, with ~/.zfunc in $fpath before compinit' },
    { run: 'rerun-doctor completion fish > ~/.config/fish/completions/rerun-doctor.fish', does: 'for fish: loaded the next time you complete rerun-doctor' },
  ],
  exit: 'Exit status: 0, or 2 for a shell it does not know.',
});

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(spec, args);
  if (values.help) {
    io.stdout(spec.help);
    return EXIT.ok;
  }
  const [shell, ...rest] = positionals;
  const write = shell !== undefined && Object.hasOwn(SCRIPTS, shell) ? SCRIPTS[shell] : undefined;
  if (write === undefined) throw new UsageError(`completion: ${shell === undefined ? 'expected a shell' : `unknown shell "${shell}"`}: expected one of ${SHELLS.join(', ')}`);
  if (rest.length > 0) throw new UsageError(`completion: unexpected argument "${rest[0]}"`);
  io.stdout(write(await loadCompletionModel()));
  return EXIT.ok;
}
