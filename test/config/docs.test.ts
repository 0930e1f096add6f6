// docs/config.md is the config table's: its generated tables are what npm run docs:config writes,
// and its examples are files rerun-doctor reads without an error.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { CONFIG_DOC, renderConfigDoc } from '../../scripts/docs-config.js';

const doc = readFileSync(CONFIG_DOC, 'utf8');

test('docs/config.md is up to date with src/config/schema.ts (else: npm run docs:config)', async () => {
  const want = await renderConfigDoc(doc);
  const have = doc.split('\n');
  const line = want.split('\n').findIndex((l, i) => l !== have[i]);
  assert.ok(want === doc, `docs/config.md is out of date from line ${line + 1}: run npm run docs:config`);
});

test("docs/config.md's example files are read without an error", () => {
  const block = (heading: string, lang: string): string => {
    const at = doc.indexOf(heading);
    assert.ok(at >= 0, heading);
    const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc.slice(at));
    assert.ok(m?.[1] !== undefined, `${heading}: a ${lang} block`);
    return m[1];
  };
  const dir = mkdtempSync(join(tmpdir(), 'rd-docs-'));
  try {
    writeFileSync(join(dir, 'rerun-doctor.json'), block('### Example: `rerun-doctor.json`', 'json'));
    const json = loadConfig({ cwd: dir }).config;
    rmSync(join(dir, 'rerun-doctor.json'));
    writeFileSync(join(dir, 'pyproject.toml'), block('### Example: `pyproject.toml`', 'toml'));
    const toml = loadConfig({ cwd: dir }).config;
    assert.deepEqual(toml, json, 'the two examples say the same');
    assert.deepEqual(json.rules, { zombies: { severity: 'off' }, 'process-leak': { severity: 'warning' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
