// Bundles the CLI after tsc (npm run build): start-up time is most of a one-shot CLI's cost
// (issue 12: the CLI's start within 15 ms of `node -e 0`), and Node's ESM loader pays about half a
// millisecond per module it resolves, reads and links, so the ~200 modules a command imports
// cost more than what it then does on a small machine. Measured (docs/benchmarks.md): one file per
// command beats both tsc's one file per module and esbuild's code splitting (30 shared chunks for
// `procs`), and one file for every command (its parse cost is paid by every command).
//
// What it writes, over tsc's output of the same names (the library, dist/index.js and the rest of
// dist/, stays tsc's, one module per file, with its .d.ts):
//   dist/cli/bin.js              main, the registry and io: only what picks a command;
//   dist/cli/commands/NAME.js    one self-contained file per command of the registry, loaded by
//                                bin.js's `import('./commands/NAME.js')`; it also exports the CLI's
//                                reportError, so that its errors are told apart by its own copies
//                                of the error classes (main.ts);
//   dist/cli/commands/watchdog.js  the watchdog `run`, `check` and the others start beside a
//                                server (actions/supervise.ts looks for it beside itself).
// npm packages stay imports (--packages=external): they are the package's dependencies.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const registry = readFileSync(join(root, 'src/cli/registry.ts'), 'utf8');
const commands = [...registry.matchAll(/import\('\.\/commands\/([a-z-]+)\.js'\)/g)].map((m) => m[1]);
if (commands.length === 0) throw new Error('bundle: no command loaders found in src/cli/registry.ts');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: root,
};

// The registry's loaders stay imports of the command files, written relative to where the
// importing bundle lies: dist/cli/bin.js or dist/cli/commands/*.js (help and completion read the
// other commands' specs).
const commandLoaders = (fromCommandsDir) => ({
  name: 'command-loaders',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
      if (!args.importer.endsWith(join('src', 'cli', 'registry.ts'))) return undefined;
      return { path: fromCommandsDir ? `./${basename(args.path)}` : args.path, external: true };
    });
  },
});

await build({ ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli/bin.js', plugins: [commandLoaders(false)] });
await Promise.all([
  ...commands.map((name) =>
    build({
      ...common,
      stdin: {
        contents: `export * from './src/cli/commands/${name}.ts';\nexport { reportError } from './src/cli/report-error.ts';\n`,
        resolveDir: root,
        sourcefile: `command-${name}.ts`,
        loader: 'ts',
      },
      outfile: `dist/cli/commands/${name}.js`,
      plugins: [commandLoaders(true)],
    }),
  ),
  build({ ...common, entryPoints: ['src/actions/watchdog.ts'], outfile: 'dist/cli/commands/watchdog.js' }),
]);
