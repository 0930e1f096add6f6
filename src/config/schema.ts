// The config, one key at a time: how it is written in a file, checked, defaulted, overridden by
// a flag and documented. Everything else comes from this table: the Config type (below), the
// defaults and the validation of a file's table (config.ts), applyOverrides, the common flags
// (src/cli/context.ts) and the tables of docs/config.md (npm run docs:config).
import { resolve } from 'node:path';
import {
  checkBytes,
  checkGrpcPort,
  checkInstances,
  checkKeyMetrics,
  checkPattern,
  checkPatternList,
  checkPorts,
  checkRules,
  checkSeriesLimit,
  checkStateDir,
  checkUrl,
  seconds,
  type Check,
} from './checks.js';
import { parseCount, parsePortList } from './flag-values.js';

interface FlagBase {
  /** The flag without its dashes. */
  readonly name: string;
  /** The value's name in --help (P, RE, N, DIR, D, URL); a flag without one is a switch. */
  readonly value?: string;
  /** May be given more than once: every value counts. */
  readonly multiple?: boolean;
  /** One line for --help. */
  readonly help: string;
  /** The key's default as the flag writes it, when that differs from the key's (2 seconds: "2s"). */
  readonly defaultText?: string;
}

/**
 * Taken by every census command: makeContext (src/cli/context.ts) turns its values into the key's
 * value with `parse` (without one, the text itself: a list of them when `multiple`) and applies
 * it with applyOverrides, which checks it as a file's value would be.
 */
export interface CommonFlag<T> extends FlagBase {
  readonly common: true;
  readonly value: string;
  /** The flag's values (one unless `multiple`), and the directory the command runs in. */
  readonly parse?: (values: readonly string[], cwd: string) => T;
}

/** Taken only by the commands that list it (configFlag in src/cli/config-flags.ts); they apply it. */
export interface CommandFlag extends FlagBase {
  readonly common?: false;
}

export type ConfigFlag<T> = CommonFlag<T> | CommandFlag;

/** One key of a file's table. */
export interface KeySpec<T = unknown, F extends readonly ConfigFlag<T>[] = readonly ConfigFlag<T>[]> {
  /** As written in files: kebab-case, as Python tools write pyproject keys. */
  readonly key: string;
  readonly check: Check<T>;
  readonly default: T;
  /** What docs/config.md says it holds. */
  readonly type: string;
  /** The default as docs/config.md shows it, where the value itself would not say it (null: "none"). */
  readonly defaultDoc?: string;
  /** One line: what it is for (the meaning column of docs/config.md). */
  readonly help: string;
  /** More, where one line is not enough (docs/config.md, "The keys in detail"). */
  readonly doc?: string;
  /** The flags that override it; [] for none. */
  readonly flags: F;
}

export type Fields = { readonly [field: string]: KeySpec };

/** A table of keys of its own (`thresholds`): merged over its defaults key by key. */
export interface SectionSpec<S extends Fields = Fields> {
  readonly key: string;
  readonly fields: S;
  readonly help: string;
  readonly doc?: string;
}

export type Spec = KeySpec | SectionSpec;

export function isSection(spec: Spec): spec is SectionSpec {
  return 'fields' in spec;
}

// T comes from the check alone: the default and a flag's parse must fit what the check returns.
function key<T, const F extends readonly ConfigFlag<NoInfer<T>>[]>(spec: Omit<KeySpec<T, F>, 'default'> & { default: NoInfer<T> }): KeySpec<T, F> {
  return spec;
}

function section<const S extends Fields>(spec: SectionSpec<S>): SectionSpec<S> {
  return spec;
}

/** The value of a flag that is given once. */
const only = (values: readonly string[]): string => values[values.length - 1] ?? '';

export const CONFIG_SCHEMA = {
  ports: key({
    key: 'ports',
    type: 'array of integers 1–65535, non-empty, no duplicates',
    check: checkPorts,
    default: [50051, 8080],
    help: 'the ports the server listens on (gRPC and HTTP): the watched ports',
    flags: [{ name: 'port', value: 'P', multiple: true, common: true, help: 'watched ports, repeatable or comma-separated', parse: (values) => parsePortList(values, '--port') }],
  }),
  serverPattern: key({
    key: 'server-pattern',
    type: 'string: a JavaScript regular expression',
    check: checkPattern,
    default: 'python.*-m src\\.main',
    help: "matched against a process's arguments joined with spaces; a match is a server main process",
    doc:
      'Patterns are compiled with `new RegExp(pattern)` (no flags): in a regular expression `.` matches any character, so write `\\.` for a literal dot — ' +
      'and in JSON and TOML basic strings the backslash itself is escaped (`"src\\\\.main"`), while TOML literal strings take it as is (`\'src\\.main\'`). ' +
      'An empty pattern is rejected: it would match every process. The same holds for `worker-patterns` and `key-metrics`.',
    flags: [{ name: 'server-pattern', value: 'RE', common: true, help: "what a server's command line looks like" }],
  }),
  workerPatterns: key({
    key: 'worker-patterns',
    type: 'array of strings: JavaScript regular expressions',
    check: checkPatternList,
    default: [],
    help: 'extra patterns (matched the same way) for renamed worker processes, on top of the built-in ones',
    flags: [{ name: 'worker-pattern', value: 'RE', multiple: true, common: true, help: 'a pattern for renamed worker processes, repeatable' }],
  }),
  instances: key({
    key: 'instances',
    type: 'integer ≥ 0',
    check: checkInstances,
    default: null,
    help: 'expected workers per server (1 main + N workers), used by `count`, the diagnosis and `check`',
    doc: '`null` in JSON means the same as leaving it out (TOML has no null).',
    flags: [{ name: 'instances', value: 'N', common: true, help: 'model-instance workers per server: the count expects 1 + N', parse: (values) => parseCount(only(values), '--instances') }],
  }),
  stateDir: key({
    key: 'state-dir',
    type: 'string: a directory',
    check: checkStateDir,
    default: null,
    defaultDoc: '`$XDG_STATE_HOME/rerun-doctor`, else `~/.local/state/rerun-doctor`',
    help: 'where saved censuses and counts go; a relative path is relative to **the directory of the config file** (of the current directory for `--state-dir`)',
    doc: '`null` in JSON means the same as leaving it out.',
    flags: [
      {
        name: 'state-dir',
        value: 'DIR',
        common: true,
        help: 'where saved state (the counts) is kept',
        defaultText: '$XDG_STATE_HOME/rerun-doctor or ~/.local/state/rerun-doctor',
        parse: (values, cwd) => resolve(cwd, only(values)),
      },
    ],
  }),
  metricsUrl: key({
    key: 'metrics-url',
    type: 'string: an `http://` or `https://` URL',
    check: checkUrl,
    default: 'http://127.0.0.1:8080/metrics',
    help: "where `metrics`, `watch metrics`, the diagnosis, `evidence` and `check` read the server's Prometheus metrics",
    flags: [{ name: 'metrics-url', value: 'URL', help: 'where the metrics are' }],
  }),
  grpcPort: key({
    key: 'grpc-port',
    type: 'integer 1–65535, or `false` for none',
    check: checkGrpcPort,
    default: 50051,
    help: 'the port `metrics` and `ports` ask `grpc.health.v1.Health/Check`',
    flags: [
      { name: 'grpc-port', value: 'P', help: 'the gRPC port to ask grpc.health.v1.Health/Check' },
      { name: 'no-grpc', help: 'skip the gRPC health check' },
    ],
  }),
  keyMetrics: key({
    key: 'key-metrics',
    type: 'table / object of `tokenize`, `request-latency`, `queue-depth`, `worker-count`, `gpu-memory` → arrays of regular expressions',
    check: checkKeyMetrics,
    default: {},
    defaultDoc: 'none',
    help: 'your names for the metrics the diagnosis needs; an entry replaces the built-in patterns for that key (matched case-insensitively against family names)',
    flags: [],
  }),
  thresholds: section({
    key: 'thresholds',
    help: 'timing and size knobs: set any of them, the others keep their defaults',
    fields: {
      settleSeconds: key({
        key: 'settle-seconds',
        type: 'number ≥ 0',
        check: seconds({ zero: true }),
        default: 2,
        help: 'how long `check` and `rerun` let a stopped server settle before the census after it',
        flags: [{ name: 'settle', value: 'D', help: 'after it exits, before the census', defaultText: '2s' }],
      }),
      generationGapSeconds: key({
        key: 'generation-gap-seconds',
        type: 'number > 0',
        check: seconds({ zero: false }),
        default: 30,
        help: 'start times further apart than this belong to different runs (generations)',
        flags: [],
      }),
      metricsTimeoutSeconds: key({
        key: 'metrics-timeout-seconds',
        type: 'number > 0',
        check: seconds({ zero: false }),
        default: 2,
        help: 'how long a metrics scrape or gRPC health check may take',
        flags: [{ name: 'timeout', value: 'D', help: 'for each scrape and the gRPC health check', defaultText: '2s' }],
      }),
      metricsMaxBytes: key({
        key: 'metrics-max-bytes',
        type: 'integer ≥ 1024',
        check: checkBytes,
        default: 32 * 1024 * 1024,
        defaultDoc: '`33554432` (32 MiB)',
        help: 'the largest metrics body read, after gunzip',
        flags: [{ name: 'max-bytes', value: 'N', help: 'the largest metrics body read, after gunzip', defaultText: '33554432: 32 MiB' }],
      }),
      metricsMaxSeries: key({
        key: 'metrics-max-series',
        type: 'integer 1–10000000',
        check: checkSeriesLimit,
        default: 10_000,
        help: 'the most series summarised and kept per metrics scrape (the key metrics first); the rest are counted and reported as dropped',
        doc:
          "A watch keeps what its view needs of every sample, so this bounds its memory: at most this many series' interval values per sample, " +
          'and of the last scrape only those series to difference the next against. 10,000 is several times what an inference server exports ' +
          '(vLLM, Triton and DCGM export hundreds to a few thousand); an endpoint with a series per request or per user id is cut, and says so. ' +
          'See docs/metrics.md, "Limits".',
        flags: [{ name: 'max-series', value: 'N', help: 'the most series summarised per scrape (key metrics first)', defaultText: '10000' }],
      }),
      watchIntervalSeconds: key({
        key: 'watch-interval-seconds',
        type: 'number > 0',
        check: seconds({ zero: false }),
        default: 2,
        help: "time between `watch` samples, and between the diagnosis's metrics samples",
        flags: [{ name: 'interval', value: 'D', help: 'time between samples, e.g. 500ms or 5s', defaultText: '2s' }],
      }),
    },
  }),
  rules: key({
    key: 'rules',
    type: 'table / object: rule id → a severity (`"off"`, `"info"`, `"warning"`, `"error"`) or a table / object with `severity` and `options`',
    check: checkRules,
    default: {},
    defaultDoc: 'none: every rule at its own severity and options',
    help: "a rule's severity (`off` turns it off) and its options; each rule's options: see `docs/rules/<id>.md`",
    doc:
      'Only the shape is checked when the file is read; the rule ids, and each rule\'s options against that rule\'s own schema, are checked by the rules (`src/rules/`). ' +
      'JSON: `"rules": { "zombies": "off", "process-leak": { "severity": "warning", "options": { … } } }`; ' +
      'TOML: `[tool.rerun-doctor.rules]` with `zombies = "off"`, and `[tool.rerun-doctor.rules.process-leak]` with `severity = "warning"` and an `options` table.',
    flags: [],
  }),
} as const;

type Schema = typeof CONFIG_SCHEMA;

type ValueOf<S> = S extends SectionSpec<infer F> ? { -readonly [K in keyof F]: ValueOf<F[K]> } : S extends KeySpec<infer T> ? T : never;

/** The effective configuration: one field per key of the table, typed by its check. */
export type Config = { -readonly [K in keyof Schema]: ValueOf<Schema[K]> };
export type Thresholds = Config['thresholds'];

type OverrideOf<S> = S extends SectionSpec<infer F> ? { -readonly [K in keyof F]?: ValueOf<F[K]> | undefined } : ValueOf<S>;

/** What `applyOverrides` accepts: any subset of Config, sections field by field. */
export type ConfigOverrides = { -readonly [K in keyof Schema]?: OverrideOf<Schema[K]> | undefined };

type FlagsOf<S> = S extends SectionSpec<infer F> ? FlagsOf<F[keyof F]> : S extends { readonly flags: readonly (infer G)[] } ? G : never;

/** Every flag of the table, each with its literal name. */
export type SchemaFlag = FlagsOf<Schema[keyof Schema]>;
