// The config table (src/config/schema.ts) and what comes from it: the rules key, the common
// flags as overrides, and the table's own consistency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverrides, ConfigError, DEFAULT_CONFIG, flagOverrides } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { CONFIG_SCHEMA, isSection, type KeySpec, type Spec } from '../../src/config/schema.js';
import { COMMAND_LINE } from '../../src/config/errors.js';

function load(name: string, content: string) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'rerun-doctor-schema-')));
  try {
    writeFileSync(join(root, name), content);
    return loadConfig({ cwd: root }).config;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function loadError(name: string, content: string): ConfigError {
  try {
    load(name, content);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

const keys = (): Array<[string, KeySpec]> =>
  (Object.entries(CONFIG_SCHEMA) as Array<[string, Spec]>).flatMap(([field, spec]): Array<[string, KeySpec]> => (isSection(spec) ? Object.entries(spec.fields).map(([f, k]) => [`${field}.${f}`, k]) : [[field, spec]]));

// ---- rules ----

test('rules: a severity string, or a table of severity and options, in JSON and TOML', () => {
  const json = load('rerun-doctor.json', JSON.stringify({ rules: { zombies: 'off', 'process-leak': { severity: 'warning', options: { 'min-growth': 3 } }, 'port-shared': {} } }));
  assert.deepEqual(json.rules, { zombies: { severity: 'off' }, 'process-leak': { severity: 'warning', options: { 'min-growth': 3 } }, 'port-shared': {} });
  const toml = load('pyproject.toml', '[tool.rerun-doctor.rules]\nzombies = "info"\n\n[tool.rerun-doctor.rules.orphan-server]\nseverity = "error"\n\n[tool.rerun-doctor.rules.orphan-server.options]\ngrace-seconds = 5\n');
  assert.deepEqual(toml.rules, { zombies: { severity: 'info' }, 'orphan-server': { severity: 'error', options: { 'grace-seconds': 5 } } });
  // rule ids are not judged here (src/rules/ does that): any id is kept
  assert.deepEqual(load('rerun-doctor.json', '{"rules": {"no-such-rule": "off"}}').rules, { 'no-such-rule': { severity: 'off' } });
  assert.deepEqual(DEFAULT_CONFIG.rules, {});
});

test('rules: the shape is checked, with the key path', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['{"rules": ["zombies"]}', 'rules', /^rerun-doctor\.json: "rules" must be an object of rule ids to a severity \("off", "info", "warning", "error"\) or an object with "severity" and "options", got \["zombies"\]$/],
    ['{"rules": {"zombies": "loud"}}', 'rules.zombies', /"rules\.zombies" must be one of "off", "info", "warning", "error", got "loud"$/],
    ['{"rules": {"zombies": 2}}', 'rules.zombies', /"rules\.zombies" must be a severity .* or an object with "severity" and "options", got 2$/],
    ['{"rules": {"zombies": {"severity": "fatal"}}}', 'rules.zombies.severity', /"rules\.zombies\.severity" must be one of "off", "info", "warning", "error", got "fatal"$/],
    ['{"rules": {"zombies": {"options": 3}}}', 'rules.zombies.options', /"rules\.zombies\.options" must be an object \(the rule's options: docs\/rules\/zombies\.md\), got 3$/],
    ['{"rules": {"zombies": {"severty": "off"}}}', 'rules.zombies.severty', /"rules\.zombies\.severty" is not a known key \(did you mean "severity"\?\); known keys: severity, options$/],
  ];
  for (const [content, key, re] of cases) {
    const e = loadError('rerun-doctor.json', content);
    assert.equal(e.key, key, content);
    assert.match(e.message, re);
  }
  const toml = loadError('pyproject.toml', '[tool.rerun-doctor]\nrules = "off"\n');
  assert.match(toml.message, /^pyproject\.toml: \[tool\.rerun-doctor\] "rules" must be a table of rule ids to a severity .* or a table with "severity" and "options", got "off"$/);
});

test('rules: a "__proto__" rule id stays a key, and options are copied, not shared', () => {
  const c = load('rerun-doctor.json', '{"rules": {"__proto__": "off"}}');
  assert.ok(Object.hasOwn(c.rules, '__proto__'), 'own key');
  assert.equal(Object.getPrototypeOf(c.rules), Object.prototype);
  const options = { limit: 1 };
  const out = applyOverrides(DEFAULT_CONFIG, { rules: { zombies: { options } } });
  options.limit = 2;
  assert.deepEqual(out.rules, { zombies: { options: { limit: 1 } } });
});

// ---- the common flags as overrides ----

test('flagOverrides: the common flags, parsed; other flags left to their commands', () => {
  const o = flagOverrides({ port: ['8080', ':9000,8080'], 'server-pattern': 'uvicorn', 'worker-pattern': ['a', 'b'], instances: '3', 'state-dir': 'st', timeout: '5s', json: true }, '/work/p');
  assert.deepEqual(o, { ports: [8080, 9000], serverPattern: 'uvicorn', workerPatterns: ['a', 'b'], instances: 3, stateDir: '/work/p/st' });
  assert.deepEqual(flagOverrides({}, '/'), {});
  assert.throws(() => flagOverrides({ port: ['http'] }, '/'), /^ConfigError: --port "http" is not a port: expected an integer 1-65535$/);
  assert.throws(() => flagOverrides({ instances: '-1' }, '/'), /--instances "-1" is not a count: expected an integer ≥ 0/);
});

test('flagOverrides then applyOverrides: flag values are checked as file values are', () => {
  assert.throws(
    () => applyOverrides(DEFAULT_CONFIG, flagOverrides({ 'server-pattern': '((' }, '/')),
    (e: unknown) => e instanceof ConfigError && e.file === 'command line' && e.message === 'command line: "server-pattern" is not a valid regular expression: Unterminated group',
  );
  const c = applyOverrides(DEFAULT_CONFIG, flagOverrides({ port: ['7000'], instances: '0' }, '/'));
  assert.deepEqual(c.ports, [7000]);
  assert.equal(c.instances, 0);
});

// ---- the table itself ----

test('every key: kebab-case, its default passes its own check, one line of help', () => {
  for (const [field, spec] of keys()) {
    assert.match(spec.key, /^[a-z]+(-[a-z]+)*$/, field);
    assert.deepEqual(spec.check(structuredClone(spec.default), COMMAND_LINE, spec.key), spec.default, `${field}: the default passes the check`);
    assert.ok(spec.help.length > 0 && !spec.help.includes('\n'), `${field}: one line of help`);
  }
});

test('every flag of the table: a unique name; a common flag takes a value', () => {
  const names = keys().flatMap(([, spec]) => spec.flags.map((f) => f.name));
  assert.deepEqual(names, [...new Set(names)], 'no flag overrides two keys');
  for (const [field, spec] of keys()) {
    for (const f of spec.flags) {
      assert.match(f.name, /^[a-z]+(-[a-z]+)*$/, `${field}: --${f.name}`);
      if (f.common) assert.ok(typeof f.value === 'string', `${field}: --${f.name} is common, so it takes a value`);
    }
  }
});
