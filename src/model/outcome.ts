// The three-way result every probe returns: one probe never sinks the run.
import type { SnapshotIssue } from './snapshot.js';

export type Outcome<T> =
  | { status: 'ok'; value: T; issues: SnapshotIssue[]; source: string }
  | { status: 'unavailable'; reason: string; source: string }
  | { status: 'failed'; reason: string; source: string };

export function ok<T>(value: T, source: string, issues: SnapshotIssue[] = []): Outcome<T> {
  return { status: 'ok', value, issues, source };
}
export function unavailable<T>(reason: string, source: string): Outcome<T> {
  return { status: 'unavailable', reason, source };
}
export function failed<T>(reason: string, source: string): Outcome<T> {
  return { status: 'failed', reason, source };
}
