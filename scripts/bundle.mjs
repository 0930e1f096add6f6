// Bundles the CLI after tsc (npm run build): start-up time is most of a one-shot CLI's cost
// (issue 12: the CLI's start within 15 ms of `node -e 0`), and Node's ESM loader pays about half a
// millisecond per module it resolves, reads and links, so the ~200 modules a command imports
// cost more than what it then does on a small machine. Measured (docs/benchmarks.md): one file per
// command beats both tsc's one file per module and esbuild's code splitting (30 shared chunks for
// `procs`), and one file for every command (its parse cost is paid by every command). The bundles
// are CommonJS (.cjs): a process whose modules are all CommonJS never starts Node's ESM loader
// (about 9 ms here), and `require('node:fs')` does not build the ESM facade that loads fs/promises
// and readline with it (about 3 ms).
//
// What it writes beside tsc's output (the library, dist/index.js and the rest of dist/, stays
// tsc's ES modules, one per file, with its .d.ts):
//   dist/cli/bin.cjs             main, the registry and io: only what picks a command (tsc's
//                                dist/cli/bin.js is removed: one entry point);
//   dist/cli/commands/NAME.cjs   one self-contained file per command of the registry, required by
//                                bin.cjs's loaders; it also exports the CLI's reportError, so
//                                that its errors are told apart by its own copies of the error
//                                classes (main.ts);
//   dist/cli/commands/watchdog.cjs  the watchdog `run`, `check` and the others start beside a
//                                server (actions/supervise.ts looks for it beside itself).
// npm packages stay outside (--packages=external): they are the package's dependencies. A
// dynamic import() of one stays an import() (string-width is an ES module only); the registry's
// command loaders become require() of the command's bundle.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const registry = readFileSync(join(root, 'src/cli/registry.ts'), 'utf8');
const commands = [...registry.matchAll(/import\('\.\/commands\/([a-z-]+)\.js'\)/g)].map((m) => m[1]);
if (commands.length === 0) throw new Error('bundle: no command loaders found in src/cli/registry.ts');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: root,
  // import.meta has no CommonJS form: its url is the bundle's own file URL (package-root.ts,
  // createRequire, the watchdog's path).
  define: { 'import.meta.url': '__rd_import_meta_url' },
  banner: { js: 'var __rd_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
};

// The registry's loaders (`import('./commands/NAME.js')` in src/cli/registry.ts) become a
// require() of the command's bundle, written relative to where the importing bundle lies:
// dist/cli/bin.cjs or dist/cli/commands/*.cjs (help and completion read the other commands'
// specs). Each loader resolves to a small module of its own, which esbuild wraps in a lazy
// initialiser: when its loader runs, the command's bundle is loaded by bin.cjs's loader with the V8
// code cache (src/cli/code-cache.ts, registered on globalThis), or by require() without it.
const commandLoaders = (fromCommandsDir) => ({
  name: 'command-loaders',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
      if (!args.importer.endsWith(join('src', 'cli', 'registry.ts'))) return undefined;
      const file = basename(args.path, '.js') + '.cjs';
      return { path: fromCommandsDir ? `./${file}` : `./commands/${file}`, namespace: 'command-loader' };
    });
    b.onLoad({ filter: /.*/, namespace: 'command-loader' }, (args) => ({
      contents: [
        `const file = require('node:path').join(__dirname, ${JSON.stringify(args.path)});`,
        `const load = globalThis[Symbol.for('rerun-doctor.load-bundle')];`,
        `module.exports = load ? load(file) : require(file);`,
      ].join('\n'),
      loader: 'js',
    }));
  },
});

await build({ ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli/bin.cjs', plugins: [commandLoaders(false)] });
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
      outfile: `dist/cli/commands/${name}.cjs`,
      plugins: [commandLoaders(true)],
    }),
  ),
  build({ ...common, entryPoints: ['src/actions/watchdog.ts'], outfile: 'dist/cli/commands/watchdog.cjs' }),
]);
// One entry point: tsc's dist/cli/bin.js (an ES module that imports tsc's ~200 files) would be a
// second, slower CLI beside bin.cjs.
rmSync(join(root, 'dist/cli/bin.js'), { force: true });
rmSync(join(root, 'dist/cli/bin.d.ts'), { force: true });
