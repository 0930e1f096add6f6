// The command bundles (dist/cli/commands/NAME.cjs) loaded with a V8 code cache, as Node 22's
// module.enableCompileCache() does, for Node 20, which has none: compiling a bundle of about
// 200 KB, and then each function it calls, is most of what a command does before its first read
// of /proc (issue 12; docs/benchmarks.md). The first run of a command compiles as usual and, as it
// exits, writes what V8 compiled (the bundle and every function run by then) to the cache; later
// runs hand that to V8 and skip the compiling. Only a run that did its job (exit 0 or 1) writes:
// a mistake (exit 2) writes nothing.
//
// Where: $XDG_CACHE_HOME/rerun-doctor/code-cache, else ~/.cache/rerun-doctor/code-cache, a
// directory of our own (0700). A cache is only read from a directory and a file that this user
// owns and that nobody else can write: cached code is run, so a cache another user could write
// (a `sudo` that kept the user's HOME) is never used. Each file is named for the bundle and its
// path (one installation), the Node version, the architecture and the bundle's size, mtime and
// inode, so a rebuilt or upgraded bundle never meets a stale cache (and, writing its own, removes
// its earlier builds' caches); V8 also rejects a cache of another V8 build or flags, which is then
// rewritten.
// RERUN_DOCTOR_CODE_CACHE=0 turns it off. Any failure (no HOME, read-only, full disk) falls back
// to a plain require(), silently: the cache only ever saves time.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

type Vm = typeof import('node:vm');
type ModuleCtor = typeof import('node:module');

const req = createRequire(import.meta.url);

/** The cache directory, or null when caching is off or impossible here. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RERUN_DOCTOR_CODE_CACHE === '0') return null;
  let base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : null;
  try {
    const home = homedir();
    if (base === null && home.startsWith('/')) base = join(home, '.cache');
  } catch {
    /* no home directory (a uid without a passwd entry) */
  }
  return base === null ? null : join(base, 'rerun-doctor', 'code-cache');
}

/** Owned by this user and writable by nobody else: safe to run code from. */
function ours(mode: number, uid: number): boolean {
  const me = process.geteuid?.();
  return me !== undefined && uid === me && (mode & 0o022) === 0;
}

function readTrusted(dir: string, file: string): Buffer | null {
  try {
    const d = statSync(dir);
    if (!d.isDirectory() || !ours(d.mode, d.uid)) return null;
    const fd = openSync(join(dir, file), 'r');
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || !ours(st.mode, st.uid) || st.size === 0 || st.size > 64 << 20) return null;
      // The file checked is the file read: from the same descriptor.
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** FNV-1a of a string, as 8 hex digits: which installation a cache file belongs to, without loading crypto. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function writeCache(dir: string, prefix: string, file: string, data: Buffer): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const d = statSync(dir);
    if (!ours(d.mode, d.uid)) return;
    // Whole or not at all: a reader never sees half a file (a temp file, then rename).
    const tmp = join(dir, `.${file}.${process.pid}.tmp`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, join(dir, file));
    // The caches of this bundle's earlier builds (same name, same installation) are of no more use.
    for (const old of readdirSync(dir)) if (old !== file && old.startsWith(prefix) && old.endsWith('.bin')) rmSync(join(dir, old), { force: true });
  } catch {
    /* the cache only saves time */
  }
}

/** What each load did with the cache, in order (for the tests): 'compiled' from the source (a cache is written at exit where it can be). */
export const loads: Array<{ file: string; cache: 'off' | 'used' | 'compiled' | 'rejected' }> = [];

const toWrite: Array<() => void> = [];
let exitHook = false;

/**
 * Loads a CommonJS bundle (an absolute path) as require() would, with the code cache when it can.
 * The bundle's own require resolves from its directory; it must make no import() of its own (code
 * run from a vm.Script has no ESM loader): it calls cliImport().
 */
export function loadBundle(file: string): unknown {
  const dir = codeCacheDir();
  let vm: Vm | null;
  try {
    vm = dir ? (req('node:vm') as Vm) : null;
  } catch {
    vm = null;
  }
  if (!dir || !vm) {
    loads.push({ file, cache: 'off' });
    return req(file);
  }
  let source: string;
  let prefix: string;
  let key: string;
  try {
    const st = statSync(file);
    source = readFileSync(file, 'utf8');
    prefix = `${basename(file)}-${fnv1a(file)}-`;
    key = `${prefix}${process.version}-${process.arch}-${st.size}-${Math.round(st.mtimeMs)}-${st.ino}.bin`;
  } catch {
    loads.push({ file, cache: 'off' });
    return req(file);
  }
  const Module = req('node:module') as ModuleCtor & { wrap(s: string): string };
  const cached = readTrusted(dir, key);
  // No importModuleDynamically: Node 20's (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER) prints an
  // ExperimentalWarning and is lost on code read from a cache. A bundle's import() goes through
  // cliImport() instead, to the importer bin.cjs installs (installBundleLoading).
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cached ? { cachedData: cached } : {}) });
  const mod = { exports: {} as unknown, id: file, filename: file, loaded: false };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  loads.push({ file, cache: !cached ? 'compiled' : script.cachedDataRejected ? 'rejected' : 'used' });
  if (!cached || script.cachedDataRejected) {
    // At exit, so that the functions the command ran are compiled and cached too.
    toWrite.push(() => writeCache(dir, prefix, key, script.createCachedData()));
    if (!exitHook) {
      exitHook = true;
      // Only after a run that did its job (exit 0, or 1: findings): a usage or internal error (2),
      // an interruption (130) or a crash writes nothing (a mistake leaves nothing behind).
      process.once('exit', (code) => {
        if (code !== 0 && code !== 1) return;
        for (const w of toWrite) w();
      });
    }
  }
  return mod.exports;
}

const IMPORTER = Symbol.for('rerun-doctor.import');
/** Where the registry's loaders, once bundled, look for loadBundle (scripts/bundle.mjs writes the same name). */
const LOADER = Symbol.for('rerun-doctor.load-bundle');

/**
 * Called by bin.cjs, a module loaded by Node itself: the bundles' loaders load the commands
 * through loadBundle, and the bundles' import() of a package (string-width) is bin.cjs's own.
 */
export function installBundleLoading(importer: (specifier: string) => Promise<unknown>): void {
  const g = globalThis as Record<symbol, unknown>;
  g[LOADER] = loadBundle;
  g[IMPORTER] = importer;
}

/** import() of a package, through bin.cjs's importer where it installed one, else this module's own. */
export function cliImport(specifier: string): Promise<unknown> {
  const viaCli = (globalThis as Record<symbol, unknown>)[IMPORTER] as ((s: string) => Promise<unknown>) | undefined;
  return viaCli ? viaCli(specifier) : import(specifier);
}
