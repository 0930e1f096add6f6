// Evidence documents built from synthetic snapshots, for the diagnosis and replay tests.
import { censusSettingsOf } from '../../src/census/settings.js';
import { EVIDENCE_KIND, EVIDENCE_SCHEMA_VERSION, type Evidence } from '../../src/model/evidence.js';
import type { ListeningSocket, ProcessInfo } from '../../src/model/snapshot.js';
import { OPTS, snapshot } from './builders.js';

const none = (what: string) => ({ status: 'unavailable' as const, reason: `no ${what} in this test`, source: 'test' });

export function evidenceOf(processes: ProcessInfo[], sockets: ListeningSocket[] = [], extra: Partial<Evidence> = {}): Evidence {
  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    kind: EVIDENCE_KIND,
    tool: 'rerun-doctor test',
    collectedAt: '2026-11-26T10:00:00.000Z',
    settings: { census: censusSettingsOf(OPTS), instances: null },
    snapshot: snapshot(processes, sockets),
    window: null,
    metrics: none('metrics'),
    gpu: none('GPU'),
    gpuBefore: null,
    thermal: none('thermal'),
    history: none('history'),
    ownLeftovers: null,
    environment: null,
    redacted: null,
    ...extra,
  };
}
