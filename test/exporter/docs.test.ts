// docs/exporter.md lists every metric the exporter serves, and the exporter serves every metric it
// lists: the doc's table, the table in src/exporter/metrics.ts (names, types, labels) and the real
// expositions (the collector's own series included) are compared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCollector } from '../../src/exporter/collector.js';
import { exposition } from '../../src/exporter/exposition.js';
import { METRICS } from '../../src/exporter/metrics.js';
import { evidencePlanFor } from '../../src/evidence/plan.js';
import { createHost } from '../../src/host/host.js';
import { allDocuments, seriesOf } from '../helpers/exporter.js';
import { ROOT } from '../helpers/paths.js';

const rows = readFileSync(join(ROOT, 'docs', 'exporter.md'), 'utf8')
  .split('\n')
  .map((l) => /^\| `(rerun_doctor_\w+)` \| (gauge|counter) \| (.*?) \|/.exec(l))
  .filter((m) => m !== null)
  .map((m) => ({ name: m[1]!, type: m[2]!, labels: [...m[3]!.matchAll(/`(\w+)`/g)].map((x) => x[1]!) }));

/** Metric family names in a text exposition. */
const families = (text: string) => new Set([...text.matchAll(/^# TYPE (\w+) \w+$/gm)].map((m) => m[1]!));

test('the doc table is the metrics table: names, types, labels', () => {
  assert.deepEqual(rows, METRICS.map((m) => ({ name: m.name, type: m.type, labels: [...m.labels] })));
});

test('every metric in the doc is served, and every metric served is in the doc', async () => {
  const served = new Set<string>();
  for (const e of allDocuments()) for (const n of families(await exposition(seriesOf(e), 'text'))) served.add(n);
  // The collector's own series, from a real collection on this machine.
  const c = createCollector(createHost(), { plan: { ...evidencePlanFor({ metrics: false }), gpu: false }, intervalMs: 60_000 });
  for (const n of families((await c.collectOnce()).text)) served.add(n);
  assert.deepEqual([...served].sort(), rows.map((r) => r.name).sort());
});
