// evidence: one Markdown bundle of everything, with the secrets in argv and URLs redacted.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, freePort, killAndReap, runCli, startServer, waitListening } from '../helpers/live.js';

const tracked = new Set<number>();
const groups: number[] = [];
const dir = mkdtempSync(join(tmpdir(), 'rd-evidence-'));
after(async () => {
  await cleanup(tracked, groups);
  rmSync(dir, { recursive: true, force: true });
});

test('evidence --out: every section, the secrets of an argv redacted, the run still recognisable; no overwrite', async () => {
  const port = await freePort();
  const secret = 'hf_abcdefghijklmnopqrstuvwxyzABCDEF12';
  // A server started with secrets on its command line, as users do; its workers are then orphaned.
  const s = await startServer(['--workers', '1', '--worker-port', String(port), `--api-key=${secret}`, '--token', 'sk-proj-0123456789abcdefghijklmnopqrstuv'], tracked).catch(() => null);
  // The sample server rejects unknown flags; then start it plainly and put the secret in the metrics URL instead.
  const srv = s ?? (await startServer(['--workers', '1', '--worker-port', String(port)], tracked));
  groups.push(srv.pgid);
  await waitListening([port]);
  await killAndReap(srv);
  const out = join(dir, 'evidence.md');
  const url = `http://user:${secret}@127.0.0.1:${port}/metrics?token=${secret}`;
  const r = await runCli(['evidence', '--out', out, '--port', String(port), '--quick', '--metrics-url', url]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /evidence written to .*evidence\.md \(\d+ values? redacted\)/);
  const md = readFileSync(out, 'utf8');
  for (const h of ['## Versions', '## Diagnosis', '## Port holders', '## Process trees', "## ps lines (the project's processes)", '## Metrics', '## GPU', '## Thermal']) assert.ok(md.includes(h), `section ${h}`);
  assert.match(md, /- tool: rerun-doctor \d/);
  assert.match(md, /- python: Python 3/);
  assert.match(md, /orphan-workers/);
  assert.ok(md.includes(String(srv.workers[0])), 'the orphaned worker is named');
  assert.ok(!md.includes(secret), 'the secret appears nowhere');
  assert.match(md, /\[REDACTED\]/);
  assert.match(md, /values? redacted \(shown as \[REDACTED\]\)\. Review this file before sharing it/);
  const again = await runCli(['evidence', '--out', out, '--quick', '--no-metrics']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /--out ".*evidence\.md" exists: pass --force to overwrite it/);
  assert.ok(existsSync(out), 'the first bundle is untouched');
  const json = await runCli(['evidence', '--json', '--quick', '--no-metrics', '--port', String(port)]);
  const j = JSON.parse(json.stdout) as { schemaVersion: number; diagnosis: { verdict: string }; evidence: { kind: string; environment: { tool: string }; redacted: { values: number } } };
  assert.equal(j.schemaVersion, 2);
  assert.equal(j.evidence.kind, 'rerun-doctor-evidence');
  assert.match(j.evidence.environment.tool, /^rerun-doctor \d/);
  assert.match(j.diagnosis.verdict, /problem/);
  // The bundle replays: the Markdown file and the JSON give back the diagnosis they show.
  const verdict = /^Verdict: \*\*(.*)\*\*$/m.exec(md)![1]!;
  const fromMd = await runCli(['diagnose', '--from', out, '--json']);
  assert.equal(fromMd.code, 1, fromMd.stderr);
  assert.equal((JSON.parse(fromMd.stdout) as { verdict: string }).verdict, verdict, 'diagnose --from the bundle gives the verdict it shows');
  const jsonFile = join(dir, 'evidence.json');
  writeFileSync(jsonFile, json.stdout);
  const fromJson = await runCli(['diagnose', '--from', jsonFile, '--json']);
  assert.deepEqual(JSON.parse(fromJson.stdout), j.diagnosis, 'diagnose --from the JSON gives its diagnosis, exactly');
});
