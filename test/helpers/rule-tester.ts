// ESLint-style rule tester: valid cases yield no finding, invalid ones the expected ids/pids; every
// check is run twice to show it is pure (same input, same output, input untouched).
import assert from 'node:assert/strict';
import { classify } from '../../src/census/classify.js';
import { portReports } from '../../src/census/ports.js';
import type { ListeningSocket, ProcessInfo } from '../../src/model/snapshot.js';
import type { DiagnosisInput, Finding, Rule } from '../../src/rules/types.js';
import { OPTS, snapshot } from './builders.js';

export function inputFrom(processes: ProcessInfo[], sockets: ListeningSocket[] = [], extra: Partial<DiagnosisInput> = {}): DiagnosisInput {
  const census = classify(snapshot(processes, sockets), OPTS);
  return {
    census,
    ports: portReports(census, OPTS.ports, OPTS.ports),
    instances: null,
    history: { available: false, reason: 'none in this test' },
    metrics: { available: false, reason: 'none in this test' },
    gpu: { available: false, reason: 'none in this test' },
    thermal: { available: false, reason: 'none in this test' },
    ...extra,
  };
}

export function runRule<O extends object>(rule: Rule<O>, input: DiagnosisInput, options: Partial<O> = {}): Finding[] {
  const opts = { ...rule.meta.defaultOptions, ...options } as O;
  const before = JSON.stringify(input);
  const a = rule.check(input, opts);
  const b = rule.check(input, opts);
  assert.deepEqual(a, b, `${rule.meta.id}: check is not pure (two runs differ)`);
  assert.equal(JSON.stringify(input), before, `${rule.meta.id}: check changed its input`);
  for (const f of a) {
    assert.equal(f.id, rule.meta.id, 'finding id is the rule id');
    assert.ok(f.evidence.length > 0, `${rule.meta.id}: a finding without evidence`);
    assert.ok(f.fix.length > 20 && f.next.length > 0, `${rule.meta.id}: a finding without a fix or next command`);
  }
  return a;
}
