// deploy/: the alert rules (promtool check rules, and their unit tests with promtool test rules),
// the Grafana dashboard's queries (checked by promtool as rules), the systemd unit and the
// Kubernetes DaemonSet (their exporter arguments parsed by the exporter's own flag reader; the
// DaemonSet read with python3-yaml). Every metric they name is one the exporter serves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseListen, spec } from '../../src/cli/commands/exporter.js';
import { parseDuration } from '../../src/cli/duration.js';
import { parseCommandArgs } from '../../src/cli/parse.js';
import { METRICS } from '../../src/exporter/metrics.js';
import { ROOT } from '../helpers/paths.js';

const DEPLOY = join(ROOT, 'deploy');
const ALERTS = join(DEPLOY, 'prometheus', 'alerts.yml');
const NAMES = new Set<string>(METRICS.map((m) => m.name));

function promtool(args: string[], cwd = ROOT): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  assert.ok(!r.error, 'promtool is needed (Debian package prometheus; .ci/run installs it)');
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The YAML files as JSON, read by python3-yaml (no YAML parser among our dependencies). */
function yamlDocs(file: string): unknown[] {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python3-yaml reads ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

const metricNames = (expr: string) => [...expr.matchAll(/\brerun_doctor_[a-z_]+/g)].map((m) => m[0]);

test('alerts.yml: promtool check rules, and every alert passes its unit test', () => {
  const check = promtool(['check', 'rules', ALERTS]);
  assert.equal(check.status, 0, check.out);
  const unit = promtool(['test', 'rules', 'alerts.test.yml'], join(DEPLOY, 'prometheus'));
  assert.equal(unit.status, 0, unit.out);
});

test('alerts.yml: each alert has a runbook that exists, and names only exported metrics; each is unit-tested', () => {
  const [doc] = yamlDocs(ALERTS) as [{ groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }> }];
  const rules = doc.groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 6, 'the alerts the issue names');
  const tests = readFileSync(join(DEPLOY, 'prometheus', 'alerts.test.yml'), 'utf8');
  for (const r of rules) {
    const url = r.annotations.runbook_url ?? '';
    const m = /^https:\/\/github\.com\/rerun-doctor\/rerun-doctor\/blob\/main\/([^#]+)(?:#(.+))?$/.exec(url);
    assert.ok(m, `${r.alert}: runbook_url ${url}`);
    assert.ok(existsSync(join(ROOT, m[1]!)), `${r.alert}: ${m[1]} exists`);
    if (m[2]) assert.match(readFileSync(join(ROOT, m[1]!), 'utf8'), new RegExp(`^#+ ${m[2]}\\b`, 'im'), `${r.alert}: ${m[1]} has a #${m[2]} heading`);
    for (const n of metricNames(r.expr)) assert.ok(NAMES.has(n), `${r.alert}: ${n} is exported`);
    assert.match(tests, new RegExp(`alertname: ${r.alert}\\b`), `${r.alert} has a unit test`);
  }
});

test('the Grafana dashboard: every query is valid PromQL over exported metrics', () => {
  const d = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'rerun-doctor.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const exprs = d.panels.flatMap((p) => p.targets.map((t) => ({ title: p.title, expr: t.expr })));
  assert.ok(exprs.length >= 10, 'the dashboard has its queries');
  for (const e of exprs) for (const n of metricNames(e.expr)) assert.ok(NAMES.has(n), `${e.title}: ${n} is exported`);
  // promtool parses each one as a recording rule, with the dashboard's $instance filled in.
  const dir = mkdtempSync(join(tmpdir(), 'rd-dash-'));
  try {
    const file = join(dir, 'queries.yml');
    const rules = exprs.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e.expr.replaceAll('$instance', '.*'))}`).join('\n');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const r = promtool(['check', 'rules', file]);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function checkArgs(args: string[], where: string): void {
  const { values } = parseCommandArgs(spec, args);
  if (values.listen !== undefined) parseListen(values.listen);
  if (values.interval !== undefined) parseDuration(values.interval, '--interval', { minMs: 1000 });
  assert.ok(values['all-projects'], `${where}: --all-projects (a fleet host's exporter)`);
}

test('the systemd unit: its ExecStart is a valid exporter command on loopback, it cannot signal', () => {
  const unit = readFileSync(join(DEPLOY, 'systemd', 'rerun-doctor-exporter.service'), 'utf8');
  const exec = /^ExecStart=\/usr\/bin\/env rerun-doctor exporter (.*)$/m.exec(unit);
  assert.ok(exec, 'ExecStart runs rerun-doctor exporter');
  const args = exec[1]!.split(/\s+/);
  checkArgs(args, 'ExecStart');
  assert.ok(args.includes('127.0.0.1:9464'), 'listens on loopback');
  assert.match(unit, /^CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH$/m, 'no CAP_KILL, nothing but the two read capabilities');
  assert.doesNotMatch(unit, /^(PrivateTmp|PrivateDevices)=yes/m, 'it must see /tmp, /dev/shm and /dev/nvidia*');
  const verify = spawnSync('systemd-analyze', ['verify', join(DEPLOY, 'systemd', 'rerun-doctor-exporter.service')], { encoding: 'utf8' });
  if (!verify.error) assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
});

test('the DaemonSet: hostPID, the host /proc read-only as --proc-root, only the read capabilities', () => {
  const docs = yamlDocs(join(DEPLOY, 'kubernetes', 'daemonset.yaml')) as Array<{ kind: string; spec?: { template: { spec: Record<string, unknown> } } }>;
  const ds = docs.find((d) => d.kind === 'DaemonSet');
  assert.ok(ds?.spec, 'a DaemonSet');
  const pod = ds.spec.template.spec as { hostPID: boolean; containers: Array<{ args: string[]; securityContext: { privileged?: boolean; allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add: string[] } }; volumeMounts: Array<{ name: string; mountPath: string; readOnly: boolean }> }>; volumes: Array<{ name: string; hostPath: { path: string } }> };
  assert.equal(pod.hostPID, true);
  const c = pod.containers[0]!;
  checkArgs(c.args, 'the DaemonSet');
  const procRoot = c.args.find((a) => a.startsWith('--proc-root='))?.slice('--proc-root='.length);
  const mount = c.volumeMounts.find((m) => m.mountPath === procRoot);
  assert.ok(mount, `--proc-root ${procRoot} is a mount`);
  assert.equal(mount.readOnly, true);
  assert.equal(pod.volumes.find((v) => v.name === mount.name)?.hostPath.path, '/proc', "it is the host's /proc");
  assert.ok(c.volumeMounts.every((m) => m.readOnly), 'every host path is read-only');
  assert.equal(c.volumeMounts.find((m) => m.mountPath === `${procRoot!.replace(/\/proc$/, '')}/dev/shm`)?.readOnly, true, "the host's /dev/shm beside --proc-root");
  assert.notEqual(c.securityContext.privileged, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'], add: ['SYS_PTRACE', 'DAC_READ_SEARCH'] });
});
