// The end-to-end goldens (as node_exporter's e2e output): evidence documents captured from real
// runs (test/fixtures/evidence/SOURCE.md says how), each replayed to the diagnosis captured with it.
// A change to the rules, the census or the renderers that changes a diagnosis shows here; update
// the goldens deliberately with UPDATE_GOLDEN=1 and review the diff.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { diagnosisInput } from '../../src/diagnosis/input.js';
import { parseEvidence } from '../../src/evidence/replay.js';
import { renderDiagnosisText } from '../../src/render/diagnosis.js';
import { renderPorts } from '../../src/render/ports.js';
import { renderProcs } from '../../src/render/procs.js';
import { makeStyle } from '../../src/render/style.js';
import { fixture } from '../helpers/paths.js';

const DIR = fixture('evidence');
const scenarios = readdirSync(DIR).filter((n) => statSync(join(DIR, n)).isDirectory());

/** What each capture shows, so a regenerated golden cannot quietly lose its point. */
const EXPECTED: Record<string, { status: string; ids: string[] }> = {
  'healthy-server': { status: 'no-problems-partial', ids: [] },
  'killed-main': { status: 'problems', ids: ['orphan-workers'] },
  'rerun-after-kill': { status: 'problems', ids: ['orphan-workers', 'port-shared'] },
  'leak-three-runs': { status: 'problems', ids: ['orphan-workers', 'process-leak', 'port-shared'] },
  'detached-nohup': { status: 'problems', ids: ['orphan-server'] },
  'foreign-server': { status: 'no-problems-partial', ids: ['orphan-server'] },
  'tokenizer-spikes': { status: 'problems', ids: ['tokenizer-bottleneck'] },
  'shm-leak': { status: 'problems', ids: ['orphan-workers', 'shm-leak'] },
};

test('every capture has its expectation here, and every expectation a capture', () => {
  assert.deepEqual([...scenarios].sort(), Object.keys(EXPECTED).sort());
});

for (const name of scenarios) {
  test(`golden: ${name} replays to the diagnosis captured with it`, () => {
    const file = join(DIR, name, 'evidence.json');
    const evidence = parseEvidence(readFileSync(file, 'utf8'), file);
    const d = diagnose(evidence, { where: file });
    const goldenFile = join(DIR, name, 'diagnosis.json');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenFile, JSON.stringify(d, null, 2) + '\n');
    assert.deepEqual(JSON.parse(JSON.stringify(d)), JSON.parse(readFileSync(goldenFile, 'utf8')), `${name}: the replay differs from diagnosis.json (UPDATE_GOLDEN=1 to accept, after review)`);
    const want = EXPECTED[name]!;
    assert.equal(d.status, want.status, `${name}: ${d.verdict}`);
    assert.deepEqual([...new Set(d.findings.map((f) => f.id))].sort(), [...want.ids].sort(), `${name}: the findings`);
    // The renderers take a replayed census as they take a live one.
    const { census, input } = diagnosisInput(evidence);
    const style = makeStyle(false);
    const now = new Date(evidence.snapshot.takenAt);
    assert.ok(renderDiagnosisText(d, style).startsWith(`Verdict: ${d.verdict}`), 'the text starts with the verdict');
    assert.ok(renderProcs(census, { style, now, width: 120, wide: false, patternSource: evidence.settings.census.serverPattern, ports: evidence.settings.census.ports }).length > 0, 'procs renders');
    assert.ok(renderPorts(census, input.ports, { style, now, width: 120, wide: false }).includes(`:${evidence.settings.census.ports[0]}`), 'ports renders the watched port');
  });
}
