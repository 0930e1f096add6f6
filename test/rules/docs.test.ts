// Each rule's page carries its configuration and messages as generated from the rule's meta
// (scripts/docs-rules.ts, `npm run docs:rules`), so the page cannot drift from the code; and every
// rule's schema accepts its own defaults.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ruleSection, withSection } from '../../scripts/docs-rules.js';
import { RULE_IDS, ruleOf } from '../../src/rules/index.js';
import { ROOT } from '../helpers/paths.js';

for (const id of RULE_IDS) {
  test(`docs/rules/${id}.md has its rule's configuration and messages, up to date`, () => {
    const page = readFileSync(join(ROOT, 'docs', 'rules', `${id}.md`), 'utf8');
    assert.ok(page.includes(ruleSection(id)), `docs/rules/${id}.md is stale: run npm run docs:rules`);
    assert.equal(withSection(page, id), page, 'regenerating changes nothing');
  });

  test(`${id}: its schema accepts its defaultOptions, and every option has a default`, () => {
    const { meta } = ruleOf(id);
    const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
    const check = new Ajv({ strict: true }).compile(meta.schema);
    assert.ok(check(meta.defaultOptions), `${id}: ${JSON.stringify(check.errors)}`);
    assert.deepEqual(Object.keys(meta.defaultOptions).sort(), Object.keys(meta.schema.properties).sort(), `${id}: defaults and schema name the same options`);
    assert.ok(Object.keys(meta.messages).length > 0, `${id}: at least one message`);
  });
}
