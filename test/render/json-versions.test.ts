// docs/json.md's table of every JSON output and its schemaVersion is the one render/json.ts builds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCHEMA_VERSIONS } from '../../src/render/json.js';
import { ROOT } from '../helpers/paths.js';

test('docs/json.md lists every JSON output with the schemaVersion src/render/json.ts gives it', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'json.md'), 'utf8');
  for (const [command, version] of Object.entries(SCHEMA_VERSIONS)) {
    const row = new RegExp(`^\\| \`${command}[^|]*--json\` \\| (\\d+) \\|`, 'm').exec(doc);
    assert.ok(row, `docs/json.md has a row for ${command} --json`);
    assert.equal(Number(row[1]), version, `${command} --json is schemaVersion ${version}`);
  }
});
