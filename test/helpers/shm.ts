// Built shared-memory evidence for the pure tests (judge, rule, planner): segments with times in
// the builders' clock (seconds after the same base as proc()'s `start`).
import type { ShmEvidence, ShmHolder, ShmSegment } from '../../src/model/shm.js';
import { shmKindOf, torchCreatorPid } from '../../src/model/shm.js';

const BASE = Date.parse('2026-11-26T10:00:00Z');
export const at = (s: number) => new Date(BASE + s * 1000).toISOString();

let ino = 100;

/** A segment made at `made` (seconds after the base), last written at `changed` (default: made). */
export function seg(name: string, o: { made?: number; changed?: number; bytes?: number; uid?: number; mode?: number; holders?: Array<number | ShmHolder> } = {}): ShmSegment {
  const made = o.made ?? 100;
  const bytes = o.bytes ?? 1 << 20;
  return {
    name,
    kind: shmKindOf(name) ?? 'psm',
    creatorPid: torchCreatorPid(name),
    bytes,
    usedBytes: bytes,
    uid: o.uid ?? 1000,
    mode: o.mode ?? 0o600,
    dev: '0:42',
    ino: ino++,
    mtimeMs: BASE + (o.changed ?? made) * 1000,
    createdAt: at(made),
    changedAt: at(o.changed ?? made),
    holders: (o.holders ?? []).map((h) => (typeof h === 'number' ? { pid: h, fd: false, map: true } : h)),
  };
}

export function shmOf(segments: ShmSegment[], more: Partial<ShmEvidence> = {}): ShmEvidence {
  return {
    dir: '/dev/shm',
    usage: { totalBytes: 64 << 20, usedBytes: segments.reduce((n, s) => n + s.usedBytes, 0), availableBytes: (64 << 20) - segments.reduce((n, s) => n + s.usedBytes, 0), percent: Math.round((segments.reduce((n, s) => n + s.usedBytes, 0) / (64 << 20)) * 1000) / 10 },
    segments,
    unlisted: { count: 0, bytes: 0 },
    other: { count: 0, bytes: 0, examples: [] },
    unreadable: [],
    visibility: { complete: true, reason: "the machine's first PID namespace: every process is in view" },
    scanned: 10,
    ...more,
  };
}
