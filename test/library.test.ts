// The published entry point: `import { collectSnapshot, createHost } from 'rerun-doctor'` (dist, built by npm test).
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('the package entry exports the census API and it works on this machine', async () => {
  const lib = await import('rerun-doctor');
  for (const name of ['createHost', 'collectSnapshot', 'classify', 'takeCensus', 'portReports', 'loadConfig', 'DEFAULT_CONFIG', 'PROBES']) {
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
