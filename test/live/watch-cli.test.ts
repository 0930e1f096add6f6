// watch procs through the CLI: --duration ends it, --record appends a versioned NDJSON log.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'rd-watch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('watch procs --duration --record: bounded, one line per sample, header + samples appended', async () => {
  const rec = join(dir, 'procs.ndjson');
  writeFileSync(rec, '{"type":"earlier"}\n');
  const t0 = Date.now();
  const r = await runCli(['watch', 'procs', '--interval', '200ms', '--duration', '1s', '--record', rec]);
  const took = Date.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 4 && lines.length <= 6, `about 5 samples in 1 s at 200 ms: ${lines.length}`);
  for (const l of lines) assert.match(l, /^\S+Z procs server=\d+ worker=\d+ helper=\d+ orphans=\d+ zombies=\d+ runs=\d+ cpu%=\S+ rss=\S+ appeared=\S+ vanished=\S+ cost=[\d.]+ms$/);
  assert.ok(took < 10_000, `ended by itself (${took} ms)`);
  const rows = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; schemaVersion?: number; kind?: string; ok?: boolean });
  assert.equal(rows[0]!.type, 'earlier', 'an earlier recording is kept (append)');
  assert.equal(rows[1]!.type, 'header');
  assert.equal(rows[1]!.schemaVersion, 1);
  assert.equal(rows[1]!.kind, 'procs');
  assert.equal(rows.length - 2, lines.length, 'one record per sample');
  assert.ok(rows.slice(2).every((x) => x.type === 'procs' && x.ok === true), 'samples');
  assert.ok(rows.slice(2).every((x) => Array.isArray((x as { processes?: unknown }).processes)), 'each sample carries its census');
});

test('watch procs --json: the records on stdout, one JSON object per sample', async () => {
  const r = await runCli(['watch', 'procs', '--interval', '200ms', '--count', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; ok: boolean; counts: object });
  assert.equal(rows.length, 2);
  assert.ok(rows.every((x) => x.type === 'procs' && x.ok && typeof x.counts === 'object'), JSON.stringify(rows));
});
