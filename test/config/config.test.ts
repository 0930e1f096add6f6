// Every assert.ok carries its own message: without one, Node 20 builds the
// message by re-reading the call site, which under tsx points into transformed
// code (wrong expression shown; one run here hung on a failing assert.ok).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  applyOverrides,
  compileServerPattern,
  compileWorkerPatterns,
  ConfigError,
  DEFAULT_CONFIG,
  editDistance,
  suggestKey,
} from '../../src/config/config.js';
import { parseJson } from '../../src/config/json.js';
import { loadConfig } from '../../src/config/load.js';

/** A temp dir holding `files` (path → content), removed after `fn`. */
function withTree(files: Record<string, string>, fn: (root: string) => void): void {
  // realpath: macOS's tmpdir is a symlink, and sources are compared as strings.
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'rerun-doctor-config-')));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs fn, expecting a ConfigError; returns it after checking the message is one line. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(!/[\r\n]/.test(err.message), `message is not one line: ${JSON.stringify(err.message)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

const json = (v: unknown): string => JSON.stringify(v, null, 2);

// The metrics keys (issue 3) at their defaults, for the whole-config comparisons below.
const METRICS_DEFAULTS = { metricsUrl: 'http://127.0.0.1:8080/metrics', grpcPort: 50051, keyMetrics: {} };
// The rules key (issue 9) at its default.
const RULES_DEFAULT = { rules: {} };
const T = { metricsTimeoutSeconds: 2, metricsMaxBytes: 32 * 1024 * 1024, metricsMaxSeries: 10_000, watchIntervalSeconds: 2 };

// ---- defaults and search ----

test('DEFAULT_CONFIG has the documented values and is frozen', () => {
  assert.deepEqual(DEFAULT_CONFIG, {
    ports: [50051, 8080],
    serverPattern: 'python.*-m src\\.main',
    workerPatterns: [],
    instances: null,
    stateDir: null,
    ...METRICS_DEFAULTS,
    ...RULES_DEFAULT,
    thresholds: { settleSeconds: 2, generationGapSeconds: 30, ...T },
  });
  assert.ok(Object.isFrozen(DEFAULT_CONFIG), 'DEFAULT_CONFIG frozen');
  assert.ok(Object.isFrozen(DEFAULT_CONFIG.ports), 'ports frozen');
  assert.ok(Object.isFrozen(DEFAULT_CONFIG.thresholds), 'thresholds frozen');
  assert.equal(compileServerPattern(DEFAULT_CONFIG).test('/usr/bin/python3 -m src.main --port 50051'), true);
  assert.equal(compileServerPattern(DEFAULT_CONFIG).test('python -m src_main'), false);
});

test('defaults when no file is found; root is cwd; result is a fresh copy', () => {
  withTree({ 'a/b/.keep': '' }, (root) => {
    const cwd = join(root, 'a/b');
    const r = loadConfig({ cwd });
    assert.equal(r.source, null);
    assert.equal(r.root, cwd);
    assert.deepEqual(r.config, DEFAULT_CONFIG);
    r.config.ports.push(1);
    r.config.thresholds.settleSeconds = 99;
    assert.deepEqual(DEFAULT_CONFIG.ports, [50051, 8080]);
    assert.equal(DEFAULT_CONFIG.thresholds.settleSeconds, 2);
  });
});

test('rerun-doctor.json in cwd: all keys, partial thresholds merged over defaults', () => {
  withTree(
    {
      'rerun-doctor.json': json({
        ports: [9000, 9001],
        'server-pattern': 'uvicorn app:main',
        'worker-patterns': ['^inference-worker', 'celery'],
        instances: 4,
        'state-dir': '/var/tmp/rd',
        thresholds: { 'settle-seconds': 0.5 },
      }),
    },
    (root) => {
      const r = loadConfig({ cwd: root });
      assert.equal(r.source, join(root, 'rerun-doctor.json'));
      assert.equal(r.root, root);
      assert.deepEqual(r.config, {
        ports: [9000, 9001],
        serverPattern: 'uvicorn app:main',
        workerPatterns: ['^inference-worker', 'celery'],
        instances: 4,
        stateDir: '/var/tmp/rd',
        ...METRICS_DEFAULTS,
        ...RULES_DEFAULT,
        thresholds: { settleSeconds: 0.5, generationGapSeconds: 30, ...T },
      });
    },
  );
});

test('found in a parent directory; root is the directory holding it', () => {
  withTree({ 'rerun-doctor.json': json({ instances: 2 }), 'pkg/sub/.keep': '' }, (root) => {
    const r = loadConfig({ cwd: join(root, 'pkg/sub') });
    assert.equal(r.source, join(root, 'rerun-doctor.json'));
    assert.equal(r.root, root);
    assert.equal(r.config.instances, 2);
    assert.deepEqual(r.config.ports, [50051, 8080]);
  });
});

test('pyproject.toml [tool.rerun-doctor], with a [tool.rerun-doctor.thresholds] sub-table', () => {
  const toml = [
    '[project]',
    'name = "inference"',
    '',
    '[tool.rerun-doctor]',
    'ports = [50052]',
    "server-pattern = 'python.*-m serve'",
    'instances = 0',
    '',
    '[tool.rerun-doctor.thresholds]',
    'settle-seconds = 1',
    'generation-gap-seconds = 12.5',
    '',
  ].join('\n');
  withTree({ 'pyproject.toml': toml, 'src/.keep': '' }, (root) => {
    const r = loadConfig({ cwd: join(root, 'src') });
    assert.equal(r.source, join(root, 'pyproject.toml'));
    assert.equal(r.root, root);
    assert.deepEqual(r.config.ports, [50052]);
    assert.equal(r.config.serverPattern, 'python.*-m serve');
    assert.equal(r.config.instances, 0);
    assert.deepEqual(r.config.thresholds, { settleSeconds: 1, generationGapSeconds: 12.5, ...T });
  });
});

test('rerun-doctor.json beats pyproject.toml in the same directory', () => {
  withTree(
    {
      'rerun-doctor.json': json({ instances: 1 }),
      'pyproject.toml': '[tool.rerun-doctor]\ninstances = 7\n',
    },
    (root) => {
      const r = loadConfig({ cwd: root });
      assert.equal(r.source, join(root, 'rerun-doctor.json'));
      assert.equal(r.config.instances, 1);
    },
  );
});

test('the nearest directory wins: a pyproject table below beats a json above', () => {
  withTree(
    {
      'rerun-doctor.json': json({ instances: 1 }),
      'svc/pyproject.toml': '[tool.rerun-doctor]\ninstances = 3\n',
    },
    (root) => {
      const r = loadConfig({ cwd: join(root, 'svc') });
      assert.equal(r.source, join(root, 'svc/pyproject.toml'));
      assert.equal(r.root, join(root, 'svc'));
      assert.equal(r.config.instances, 3);
    },
  );
});

test('a pyproject.toml without [tool.rerun-doctor] does not count: the search goes on up', () => {
  withTree(
    {
      'pyproject.toml': '[tool.rerun-doctor]\ninstances = 5\n',
      // mentions the tool (as a dependency) but has no table
      'a/pyproject.toml': '[project]\nname = "a"\ndependencies = ["rerun-doctor"]\n[tool.ruff]\nline-length = 100\n',
      // no mention at all, and not even valid TOML: skipped unparsed
      'a/b/pyproject.toml': '[project\nthis is not toml',
    },
    (root) => {
      const r = loadConfig({ cwd: join(root, 'a/b') });
      assert.equal(r.source, join(root, 'pyproject.toml'));
      assert.equal(r.root, root);
      assert.equal(r.config.instances, 5);
    },
  );
});

// ---- explicit path ----

test('explicit path skips the search; relative to cwd; any non-pyproject name is JSON', () => {
  withTree(
    {
      'rerun-doctor.json': json({ instances: 1 }),
      'conf/ci.json': json({ instances: 9, 'state-dir': 'state' }),
    },
    (root) => {
      const r = loadConfig({ cwd: root, explicitPath: 'conf/ci.json' });
      assert.equal(r.source, join(root, 'conf/ci.json'));
      assert.equal(r.root, join(root, 'conf'));
      assert.equal(r.config.instances, 9);
      assert.equal(r.config.stateDir, join(root, 'conf/state'));
      // null means "search", like undefined
      assert.equal(loadConfig({ cwd: root, explicitPath: null }).config.instances, 1);
    },
  );
});

test('explicit pyproject.toml uses its tool table; a missing table is an error', () => {
  withTree(
    {
      'x/pyproject.toml': '[tool.rerun-doctor]\nports = [7000]\n',
      'y/pyproject.toml': '[project]\nname = "y"\n',
    },
    (root) => {
      const r = loadConfig({ cwd: root, explicitPath: join(root, 'x/pyproject.toml') });
      assert.deepEqual(r.config.ports, [7000]);
      assert.equal(r.root, join(root, 'x'));

      const e = configError(() => loadConfig({ cwd: root, explicitPath: 'y/pyproject.toml' }));
      assert.equal(e.file, 'y/pyproject.toml');
      assert.equal(e.key, null);
      assert.equal(e.message, 'y/pyproject.toml: has no [tool.rerun-doctor] table');
    },
  );
});

test('explicit path that does not exist or is a directory', () => {
  withTree({ 'd/.keep': '' }, (root) => {
    const e = configError(() => loadConfig({ cwd: root, explicitPath: 'nope.json' }));
    assert.equal(e.message, 'nope.json: config file not found');
    const d = configError(() => loadConfig({ cwd: root, explicitPath: 'd' }));
    assert.match(d.message, /^d: is a directory/);
  });
});

// ---- state-dir ----

test('state-dir: relative resolves against the config file directory, absolute is kept', () => {
  withTree({ 'proj/rerun-doctor.json': json({ 'state-dir': '.rerun-doctor-state' }), 'proj/deep/er/.keep': '' }, (root) => {
    const r = loadConfig({ cwd: join(root, 'proj/deep/er') });
    assert.equal(r.config.stateDir, join(root, 'proj/.rerun-doctor-state'));
  });
  withTree({ 'pyproject.toml': '[tool.rerun-doctor]\nstate-dir = "../shared/state"\n', 'a/.keep': '' }, (root) => {
    const r = loadConfig({ cwd: join(root, 'a') });
    assert.equal(r.config.stateDir, join(dirname(root), 'shared/state'));
  });
  withTree({ 'rerun-doctor.json': json({ 'state-dir': '/abs/state' }) }, (root) => {
    assert.equal(loadConfig({ cwd: root }).config.stateDir, '/abs/state');
  });
});

test('JSON null for instances and state-dir means the default', () => {
  withTree({ 'rerun-doctor.json': json({ instances: null, 'state-dir': null }) }, (root) => {
    const r = loadConfig({ cwd: root });
    assert.equal(r.config.instances, null);
    assert.equal(r.config.stateDir, null);
  });
});

// ---- validation errors ----

/** Loads `content` as rerun-doctor.json (or pyproject.toml when it starts with '['). */
function loadError(content: string, fileName = content.startsWith('[') && !content.startsWith('[]') ? 'pyproject.toml' : 'rerun-doctor.json'): ConfigError {
  let e: ConfigError | undefined;
  withTree({ [fileName]: content }, (root) => {
    e = configError(() => loadConfig({ cwd: root }));
  });
  assert.ok(e, 'no ConfigError captured');
  return e;
}

test('bad port value: exact message', () => {
  const e = loadError(json({ ports: [8080, 'abc'] }));
  assert.equal(e.message, 'rerun-doctor.json: "ports[1]" must be an integer port 1-65535, got "abc"');
  assert.equal(e.file, 'rerun-doctor.json');
  assert.equal(e.key, 'ports[1]');
});

test('ports out of range or fractional', () => {
  for (const [bad, got] of [
    [0, '0'],
    [65536, '65536'],
    [-1, '-1'],
    [80.5, '80.5'],
    [true, 'true'],
  ] as const) {
    const e = loadError(json({ ports: [bad] }));
    assert.equal(e.key, 'ports[0]');
    assert.equal(e.message, `rerun-doctor.json: "ports[0]" must be an integer port 1-65535, got ${got}`);
  }
});

test('duplicate port', () => {
  const e = loadError(json({ ports: [8080, 50051, 8080] }));
  assert.equal(e.key, 'ports[2]');
  assert.match(e.message, /^rerun-doctor\.json: "ports\[2\]" must be unique, got 8080 again \(already ports\[0\]\)$/);
});

test('empty ports, and ports that are not an array', () => {
  const empty = loadError(json({ ports: [] }));
  assert.equal(empty.key, 'ports');
  assert.equal(empty.message, 'rerun-doctor.json: "ports" must be a non-empty array of integer ports 1-65535, got []');
  const scalar = loadError('[tool.rerun-doctor]\nports = 8080\n');
  assert.equal(scalar.file, 'pyproject.toml');
  assert.equal(scalar.message, 'pyproject.toml: [tool.rerun-doctor] "ports" must be a non-empty array of integer ports 1-65535, got 8080');
});

test('bad server-pattern regex (pyproject): exact message', () => {
  const e = loadError('[tool.rerun-doctor]\nserver-pattern = "python (-m src"\n');
  assert.equal(e.message, 'pyproject.toml: [tool.rerun-doctor] "server-pattern" is not a valid regular expression: Unterminated group');
  assert.equal(e.key, 'server-pattern');
  assert.equal(e.file, 'pyproject.toml');
});

test('bad worker-patterns entry, wrong worker-patterns type, empty pattern', () => {
  const e = loadError(json({ 'worker-patterns': ['ok', '[unclosed'] }));
  assert.equal(e.key, 'worker-patterns[1]');
  assert.equal(e.message, 'rerun-doctor.json: "worker-patterns[1]" is not a valid regular expression: Unterminated character class');
  const t = loadError(json({ 'worker-patterns': 'celery' }));
  assert.equal(t.key, 'worker-patterns');
  assert.match(t.message, /"worker-patterns" must be an array of strings .*, got "celery"$/);
  const empty = loadError(json({ 'server-pattern': '' }));
  assert.equal(empty.key, 'server-pattern');
  assert.match(empty.message, /"server-pattern" must not be empty/);
});

test('negative, fractional or non-number instances', () => {
  assert.equal(loadError(json({ instances: -1 })).message, 'rerun-doctor.json: "instances" must be an integer >= 0, got -1');
  assert.equal(loadError(json({ instances: 1.5 })).message, 'rerun-doctor.json: "instances" must be an integer >= 0, got 1.5');
  const s = loadError('[tool.rerun-doctor]\ninstances = "4"\n');
  assert.equal(s.message, 'pyproject.toml: [tool.rerun-doctor] "instances" must be an integer >= 0, got "4"');
});

test('wrong types: server-pattern, state-dir, thresholds and its fields', () => {
  const cases: Array<[string, string, RegExp]> = [
    [json({ 'server-pattern': 42 }), 'server-pattern', /"server-pattern" must be a string .*, got 42$/],
    [json({ 'state-dir': true }), 'state-dir', /"state-dir" must be a non-empty string .*, got true$/],
    [json({ 'state-dir': '' }), 'state-dir', /"state-dir" must be a non-empty string .*, got ""$/],
    [json({ thresholds: 5 }), 'thresholds', /"thresholds" must be an object with .*, got 5$/],
    ['[tool.rerun-doctor]\nthresholds = [1, 2]\n', 'thresholds', /\[tool\.rerun-doctor\] "thresholds" must be a table with .*, got \[1,2\]$/],
    [json({ thresholds: { 'settle-seconds': -1 } }), 'thresholds.settle-seconds', /"thresholds\.settle-seconds" must be a number >= 0 \(seconds\), got -1$/],
    [json({ thresholds: { 'settle-seconds': '2' } }), 'thresholds.settle-seconds', /got "2"$/],
    [json({ thresholds: { 'generation-gap-seconds': 0 } }), 'thresholds.generation-gap-seconds', /"thresholds\.generation-gap-seconds" must be a number > 0 \(seconds\), got 0$/],
    ['[tool.rerun-doctor]\nthresholds.generation-gap-seconds = inf\n', 'thresholds.generation-gap-seconds', /got Infinity$/],
    ['[tool.rerun-doctor]\nstate-dir = 1979-05-27\n', 'state-dir', /got a date$/],
    // Node's timers fire at once past 2^31-1 ms: a file's durations are capped as the flags' are.
    [json({ thresholds: { 'watch-interval-seconds': 3_000_000 } }), 'thresholds.watch-interval-seconds', /"thresholds\.watch-interval-seconds" must be at most 2073600 seconds \(24 days\), got 3000000$/],
  ];
  for (const [content, key, re] of cases) {
    const e = loadError(content);
    assert.equal(e.key, key, content);
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(`${e.file}: `), e.message);
    assert.ok(e.message.includes(`"${key}"`), e.message);
  }
});

test('top-level JSON that is not an object; [tool.rerun-doctor] that is not a table', () => {
  const arr = loadError('[1, 2]', 'rerun-doctor.json');
  assert.equal(arr.key, null);
  assert.equal(arr.message, 'rerun-doctor.json: must hold a JSON object at the top level, got [1,2]');
  const scalar = loadError('[tool]\nrerun-doctor = 3\n');
  assert.equal(scalar.key, 'tool.rerun-doctor');
  assert.equal(scalar.message, 'pyproject.toml: "tool.rerun-doctor" must be a table, got 3');
});

test('unknown key with a "did you mean" suggestion', () => {
  const e = loadError(json({ prots: [8080] }));
  assert.equal(e.key, 'prots');
  assert.match(e.message, /^rerun-doctor\.json: "prots" is not a known key \(did you mean "ports"\?\); known keys: ports, server-pattern, /);

  const camel = loadError(json({ serverPattern: 'x' }));
  assert.match(camel.message, /"serverPattern" is not a known key \(did you mean "server-pattern"\?\)/);

  const snake = loadError('[tool.rerun-doctor]\nstate_dir = "x"\n');
  assert.match(snake.message, /^pyproject\.toml: \[tool\.rerun-doctor\] "state_dir" is not a known key \(did you mean "state-dir"\?\)/);

  const nested = loadError(json({ thresholds: { 'settle-second': 1 } }));
  assert.equal(nested.key, 'thresholds.settle-second');
  assert.match(nested.message, /"thresholds\.settle-second" is not a known key \(did you mean "settle-seconds"\?\); known keys: settle-seconds, generation-gap-seconds, metrics-timeout-seconds, metrics-max-bytes, metrics-max-series, watch-interval-seconds$/);

  const far = loadError(json({ banana: 1 }));
  assert.equal(far.message, 'rerun-doctor.json: "banana" is not a known key; known keys: ports, server-pattern, worker-patterns, instances, state-dir, metrics-url, grpc-port, key-metrics, thresholds, rules');
});

test('TOML syntax error names the line and column', () => {
  const e = loadError('[tool.rerun-doctor]\nports = [8080,\n  50051,,]\n');
  assert.equal(e.key, null);
  assert.equal(e.file, 'pyproject.toml');
  assert.match(e.message, /^pyproject\.toml: invalid TOML at line 3 column 9: \S/);
});

test('JSON syntax errors name the line and column', () => {
  // trailing comma
  const trailing = loadError('{\n  "ports": [8080],\n  "instances": 2,\n}\n');
  assert.equal(trailing.key, null);
  assert.equal(trailing.message, 'rerun-doctor.json: invalid JSON at line 4 column 1: property name expected, found "}"');

  // unexpected token: Node 20's JSON.parse gives no position, jsonc-parser does (at the token's start)
  const token = loadError('{\n  "ports": [8080],\n  "instances": tru\n}\n');
  assert.equal(token.message, 'rerun-doctor.json: invalid JSON at line 3 column 16: invalid symbol, found "tru"');
  const tokenLong = loadError(`{\n  "ports": [8080],\n  "server-pattern": "${'x'.repeat(40)}",\n  "instances": @\n}\n`);
  assert.equal(tokenLong.message, 'rerun-doctor.json: invalid JSON at line 4 column 16: invalid symbol, found "@"');

  const single = loadError("{\n  'ports': [1]\n}");
  assert.match(single.message, /invalid JSON at line 2 column 3: /);

  const empty = loadError('', 'rerun-doctor.json');
  assert.equal(empty.message, 'rerun-doctor.json: invalid JSON at line 1 column 1: value expected, found the end of the file');

  // strict JSON: no comments
  const comment = loadError('{\n  "instances": 2 // two workers\n}\n');
  assert.equal(comment.message, 'rerun-doctor.json: invalid JSON at line 2 column 18: invalid comment token, found "// two workers"');
});

test('a leading BOM in JSON is accepted', () => {
  withTree({ 'rerun-doctor.json': '\uFEFF{"instances": 3}' }, (root) => {
    assert.equal(loadConfig({ cwd: root }).config.instances, 3);
  });
});

test('messages name a parent file by its shorter relative path', () => {
  withTree({ 'rerun-doctor.json': json({ ports: [0] }), 'a/b/.keep': '' }, (root) => {
    const e = configError(() => loadConfig({ cwd: join(root, 'a/b') }));
    assert.equal(e.file, join('..', '..', 'rerun-doctor.json'));
    assert.ok(e.message.startsWith('../../rerun-doctor.json: "ports[0]" '), e.message);
  });
});

test("parseJson: JSON.parse's value, the first error's line and column", () => {
  for (const ok of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0']) {
    const r = parseJson(ok);
    assert.ok(r.ok, ok);
    assert.deepEqual(r.value, JSON.parse(ok));
  }
  const at = (text: string) => {
    const r = parseJson(text);
    assert.ok(!r.ok, `${text} is not JSON`);
    return `${r.error.line}:${r.error.column} ${r.error.reason}`;
  };
  assert.equal(at('{"a": 1,}'), '1:9 property name expected, found "}"');
  assert.equal(at('[1 2]'), '1:4 comma expected, found "2"');
  assert.equal(at('{"a": 01}'), '1:8 comma expected, found "1"');
  assert.match(at('{"a": "\t"}'), /^1:7 invalid character/);
  assert.equal(at('{"a"'), '1:5 colon expected, found the end of the file');
  assert.equal(at('{\r\n  "a": 1,\r\n}'), '3:1 property name expected, found "}"');
  // a no-break space is not JSON whitespace
  assert.equal(at('{\u00a0"a": 1}'), '1:2 invalid symbol, found "\u00a0"');
  // "__proto__" is a key, as JSON.parse keeps it
  const proto = parseJson('{"__proto__": {"x": 1}}');
  assert.ok(proto.ok && Object.hasOwn(proto.value as object, '__proto__'), 'own __proto__ key');
  // nested too deep for jsonc-parser's recursion: V8's reason, with no position
  const deep = parseJson('['.repeat(200_000));
  assert.ok(!deep.ok && deep.error.line === null, 'no position for absurd nesting');
  assert.ok(!deep.ok && deep.error.reason.length > 0 && !deep.error.reason.includes('[['), deep.ok ? '' : deep.error.reason);
});

// ---- overrides and compiled patterns ----

test('applyOverrides: undefined leaves values, defined ones replace, a new object comes back', () => {
  const base = applyOverrides(DEFAULT_CONFIG, {});
  assert.deepEqual(base, DEFAULT_CONFIG);
  assert.notEqual(base, DEFAULT_CONFIG);
  assert.notEqual(base.ports, DEFAULT_CONFIG.ports);

  const withInstances = applyOverrides(DEFAULT_CONFIG, { instances: 4, stateDir: '/s' });
  const out = applyOverrides(withInstances, {
    ports: [9000],
    serverPattern: undefined,
    instances: null,
    workerPatterns: ['w'],
    thresholds: { settleSeconds: 5 },
  });
  assert.deepEqual(out, {
    ports: [9000],
    serverPattern: DEFAULT_CONFIG.serverPattern,
    workerPatterns: ['w'],
    instances: null,
    stateDir: '/s',
    ...METRICS_DEFAULTS,
    ...RULES_DEFAULT,
    thresholds: { settleSeconds: 5, generationGapSeconds: 30, ...T },
  });
  assert.equal(withInstances.instances, 4, 'input not mutated');
  assert.deepEqual(withInstances.ports, [50051, 8080]);
});

test('applyOverrides validates the values it applies', () => {
  const port = configError(() => applyOverrides(DEFAULT_CONFIG, { ports: [8080, 8080] }));
  assert.equal(port.file, 'command line');
  assert.equal(port.key, 'ports[1]');
  const re = configError(() => applyOverrides(DEFAULT_CONFIG, { serverPattern: '(' }));
  assert.equal(re.message, 'command line: "server-pattern" is not a valid regular expression: Unterminated group');
  const gap = configError(() => applyOverrides(DEFAULT_CONFIG, { thresholds: { generationGapSeconds: -3 } }));
  assert.equal(gap.key, 'thresholds.generation-gap-seconds');
});

test('compileServerPattern / compileWorkerPatterns', () => {
  withTree({ 'rerun-doctor.json': json({ 'server-pattern': 'gunicorn .*app', 'worker-patterns': ['^ray::', 'vllm-worker'] }) }, (root) => {
    const { config } = loadConfig({ cwd: root });
    assert.equal(compileServerPattern(config).test('/venv/bin/gunicorn -w 4 myapp:app'), true);
    const workers = compileWorkerPatterns(config);
    assert.equal(workers.length, 2);
    assert.equal(workers[0]?.test('ray::IDLE'), true);
    assert.equal(workers[1]?.test('python vllm-worker --rank 1'), true);
  });
  const e = configError(() => compileWorkerPatterns({ workerPatterns: ['ok', '(('] }));
  assert.equal(e.key, 'worker-patterns[1]');
});

test('suggestKey and editDistance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(suggestKey('instance', ['ports', 'instances']), 'instances');
  assert.equal(suggestKey('workerPatterns', ['worker-patterns']), 'worker-patterns');
  assert.equal(suggestKey('xyz', ['ports']), null);
});

test('metrics keys: metrics-url, grpc-port (false for none), key-metrics, metrics thresholds', () => {
  withTree(
    {
      'rerun-doctor.json': json({
        'metrics-url': 'http://127.0.0.1:9100/metrics',
        'grpc-port': false,
        'key-metrics': { tokenize: ['^tok_time'], 'gpu-memory': ['vram'] },
        thresholds: { 'metrics-timeout-seconds': 0.5, 'metrics-max-bytes': 4096, 'metrics-max-series': 500, 'watch-interval-seconds': 1 },
      }),
    },
    (root) => {
      const c = loadConfig({ cwd: root }).config;
      assert.equal(c.metricsUrl, 'http://127.0.0.1:9100/metrics');
      assert.equal(c.grpcPort, null);
      assert.deepEqual(c.keyMetrics, { tokenize: ['^tok_time'], 'gpu-memory': ['vram'] });
      assert.deepEqual(c.thresholds, { settleSeconds: 2, generationGapSeconds: 30, metricsTimeoutSeconds: 0.5, metricsMaxBytes: 4096, metricsMaxSeries: 500, watchIntervalSeconds: 1 });
    },
  );
  for (const [table, re] of [
    [{ 'metrics-url': 'ftp://x/metrics' }, /"metrics-url" must be an http:\/\/ or https:\/\/ URL/],
    [{ 'metrics-url': 'not a url' }, /"metrics-url" is not a URL/],
    [{ 'grpc-port': 0 }, /"grpc-port" must be an integer port 1-65535 \(or false for none\)/],
    [{ 'key-metrics': { tokenise: ['x'] } }, /"key-metrics.tokenise" is not a known key \(did you mean "tokenize"\?\)/],
    [{ 'key-metrics': { tokenize: ['(('] } }, /"key-metrics.tokenize\[0\]" is not a valid regular expression/],
    [{ thresholds: { 'metrics-max-bytes': 10 } }, /"thresholds.metrics-max-bytes" must be an integer number of bytes >= 1024/],
    [{ thresholds: { 'metrics-max-series': 0 } }, /"thresholds.metrics-max-series" must be an integer from 1 to 10000000 \(series per scrape\), got 0/],
    [{ thresholds: { 'metrics-max-series': 1.5 } }, /"thresholds.metrics-max-series" must be an integer from 1 to 10000000/],
  ] as const) {
    withTree({ 'rerun-doctor.json': json(table) }, (root) => {
      const e = configError(() => loadConfig({ cwd: root }));
      assert.match(e.message, re);
    });
  }
});
