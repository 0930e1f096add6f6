// ESLint-style rule tester: valid cases yield no finding, invalid ones the expected ids/pids; every
// check is run twice to show it is pure (same input, same output, input untouched).
import assert from 'node:assert/strict';
import { classify } from '../../src/census/classify.js';
import { portReports } from '../../src/census/ports.js';
import type { ListeningSocket, ProcessInfo } from '../../src/model/snapshot.js';
import type { DiagnosisInput, Finding, Rule } from '../../src/rules/types.js';
import { fillMessage } from '../../src/rules/lib/report.js';
import { OPTS, snapshot } from './builders.js';

const NONE = { status: 'unavailable' as const, reason: 'none in this test', source: 'test' };

/** Evidence that was read, for a test's input. */
export function okValue<T>(value: T) {
  return { status: 'ok' as const, value, issues: [], source: 'test' };
}

export function inputFrom(processes: ProcessInfo[], sockets: ListeningSocket[] = [], extra: Partial<DiagnosisInput> = {}): DiagnosisInput {
  const census = classify(snapshot(processes, sockets), OPTS);
  return {
    census,
    ports: portReports(census, OPTS.ports, OPTS.ports),
    platform: 'linux',
    instances: null,
    history: NONE,
    metrics: NONE,
    gpu: NONE,
    gpuBefore: null,
    thermal: NONE,
    memory: NONE,
    shm: NONE,
    censusBefore: null,
    windowSeconds: null,
    ownLeftovers: [],
    cpu: NONE,
    multiproc: NONE,
    socketFiles: NONE,
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
    const template = rule.meta.messages[f.messageId];
    assert.ok(template !== undefined, `${rule.meta.id}: messageId "${f.messageId}" is not in meta.messages`);
    assert.equal(f.title, fillMessage(template, f.data, rule.meta.id), `${rule.meta.id}: the title is its message filled with its data`);
    assert.ok(f.evidence.length > 0, `${rule.meta.id}: a finding without evidence`);
    assert.ok(f.fix.length > 20 && f.next.length > 0, `${rule.meta.id}: a finding without a fix or next command`);
  }
  return a;
}
