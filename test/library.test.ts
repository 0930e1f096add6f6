// The published entry point: `import { collectSnapshot, createHost } from 'rerun-doctor'` (dist, built by npm test).
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('the package entry exports the census API and it works on this machine', async () => {
  const lib = await import('rerun-doctor');
  for (const name of ['createHost', 'collectSnapshot', 'classify', 'takeCensus', 'portReports', 'loadConfig', 'DEFAULT_CONFIG', 'PROBES', 'collectEvidence', 'evidencePlanFor', 'diagnose', 'parseEvidence', 'planCleanup', 'cleanupOptions', 'resolveRuleSettings']) {
    assert.ok(name in lib, `exports ${name}`);
  }
  const host = lib.createHost();
  const opts = { serverPattern: /python.*-m src\.main/, workerPatterns: [], ports: [...lib.DEFAULT_CONFIG.ports], generationGapSeconds: 30, projectRoot: process.cwd() };
  const snap = await lib.collectSnapshot(host, { enrichAll: true });
  assert.equal(snap.schemaVersion, 1);
  assert.ok(snap.processes.some((p) => p.pid === process.pid), 'finds itself');
  const census = lib.classify(JSON.parse(JSON.stringify(snap)), opts);
  assert.equal(census.processes.length, snap.processes.length, 'a snapshot survives a JSON round trip');
});

test('the main job through the package entry: collect, diagnose, replay from JSON, plan', async () => {
  const lib = await import('rerun-doctor');
  const host = lib.createHost();
  const evidence = await lib.collectEvidence(host, lib.evidencePlanFor({ projectRoot: process.cwd(), metrics: false }));
  assert.equal(evidence.kind, 'rerun-doctor-evidence');
  assert.equal(evidence.metrics.status, 'unavailable', 'metrics: false is said, not read');
  const d = lib.diagnose(evidence);
  assert.deepEqual(lib.diagnose(lib.parseEvidence(JSON.stringify(evidence), 'saved.json')), d, 'a saved document replays to the same diagnosis');
  const { census } = lib.diagnosisInput(evidence);
  const plan = lib.planCleanup(census, lib.cleanupOptions(census, host));
  assert.ok(!plan.targets.some((t) => t.pid === process.pid), 'never ourselves');
});
