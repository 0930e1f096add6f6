// The count before / after a run, and the history across runs (src/census/count.ts judges them).
import type { Role } from './census.js';

/** Saved censuses, the history lines and `count --json`. */
export const COUNT_SCHEMA_VERSION = 1;

/** Launchers (wrappers) are part of a run but never one of its 1 + N. */
export type CountedRole = Exclude<Role, 'launcher'>;

export interface SavedProcess {
  pid: number;
  startKey: number;
  startTime: string;
  role: Role;
  kind: string | null;
  orphan: boolean;
  generation: number | null;
  argv: string[];
}

export interface SavedCensus {
  schemaVersion: number;
  kind: 'before';
  takenAt: string;
  root: string;
  processes: SavedProcess[];
}

export interface CountSummary {
  total: number;
  byRole: Record<CountedRole, number>;
  orphans: number;
  zombies: number;
  runs: number;
  liveServers: number;
}

export interface Expectation {
  instances: number | null;
  /** 1 + N per running server, plus the helpers explained below; null when N is unknown. */
  expected: number | null;
  helpersExplained: Array<{ pid: number; kind: string; why: string }>;
  /** Processes of running programs the server pattern does not name (a notebook's Pool, joblib): their main is alive, so they are not a leak. */
  otherExplained: Array<{ pid: number; kind: string | null; why: string }>;
  /** Processes beyond what the running servers explain: the leak. */
  unexplained: Array<{ pid: number; role: Role; kind: string | null; why: string }>;
  verdict: 'ok' | 'leak' | 'unknown';
  message: string;
}

export interface CountComparison {
  schemaVersion: number;
  before: { takenAt: string; summary: CountSummary };
  after: { takenAt: string; summary: CountSummary };
  survived: SavedProcess[];
  appeared: SavedProcess[];
  gone: SavedProcess[];
  expectation: Expectation;
}

export interface HistoryEntry {
  schemaVersion: number;
  kind: 'before' | 'after';
  takenAt: string;
  summary: CountSummary;
  expected: number | null;
  unexplained: number | null;
}

