// What a saved record must hold to be read back: a line of the count history (HistoryEntry) and
// before.json (SavedCensus). Every field a reader uses is checked, so a hand-edited, truncated or
// foreign record is skipped or refused with what is wrong, never a TypeError further on.
// A small hand check rather than ajv: two fixed shapes, read on every diagnose, and the message
// names the field in the words the rest of the tool uses (`summary.byRole.worker must be a count`).
import { COUNT_SCHEMA_VERSION } from '../model/count.js';

/** What is wrong with a record, as a phrase (`summary.total must be a count, got "3"`); null when it is valid. */
export type RecordCheck = (v: unknown) => string | null;

class Bad extends Error {}

const shown = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, at: string, what: string): Record<string, unknown> {
  if (!isObject(v)) throw new Bad(at ? `${at} must be ${what}, got ${shown(v)}` : `${shown(v)} is not ${what}`);
  return v;
}
function field(o: Record<string, unknown>, at: string, key: string, ok: (v: unknown) => boolean, what: string): void {
  const v = o[key];
  const path = at ? `${at}.${key}` : key;
  if (!(key in o)) throw new Bad(`${path} is missing (${what})`);
  if (!ok(v)) throw new Bad(`${path} must be ${what}, got ${shown(v)}`);
}

const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isInteger = (v: unknown) => Number.isInteger(v);
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isString = (v: unknown) => typeof v === 'string';
const orNull = (f: (v: unknown) => boolean) => (v: unknown) => v === null || f(v);
const ROLES = ['server', 'worker', 'helper', 'launcher'];

function version(o: Record<string, unknown>): void {
  if (!('schemaVersion' in o)) throw new Bad('schemaVersion is missing');
  if (o.schemaVersion !== COUNT_SCHEMA_VERSION) throw new Bad(`schemaVersion ${shown(o.schemaVersion)} is not one this version of rerun-doctor reads (${COUNT_SCHEMA_VERSION})`);
}

const checked =
  (f: (v: unknown) => void): RecordCheck =>
  (v) => {
    try {
      f(v);
      return null;
    } catch (e) {
      if (e instanceof Bad) return e.message;
      throw e;
    }
  };

/** One line of history.ndjson. */
export const historyEntryProblem: RecordCheck = checked((v) => {
  const o = object(v, '', 'a count (a JSON object)');
  version(o);
  field(o, '', 'kind', (k) => k === 'before' || k === 'after', '"before" or "after"');
  field(o, '', 'takenAt', isTime, 'a time (ISO 8601)');
  field(o, '', 'summary', isObject, 'an object');
  const s = o.summary as Record<string, unknown>;
  for (const k of ['total', 'orphans', 'zombies', 'runs', 'liveServers']) field(s, 'summary', k, isCount, 'a count (an integer ≥ 0)');
  field(s, 'summary', 'byRole', isObject, 'an object');
  for (const k of ['server', 'worker', 'helper']) field(s.byRole as Record<string, unknown>, 'summary.byRole', k, isCount, 'a count (an integer ≥ 0)');
  field(o, '', 'expected', orNull(isCount), 'a count or null');
  field(o, '', 'unexplained', orNull(isCount), 'a count or null');
});

/** before.json. */
export const savedCensusProblem: RecordCheck = checked((v) => {
  const o = object(v, '', 'a saved census (a JSON object)');
  version(o);
  field(o, '', 'kind', (k) => k === 'before', '"before"');
  field(o, '', 'takenAt', isTime, 'a time (ISO 8601)');
  field(o, '', 'root', isString, 'a directory');
  field(o, '', 'processes', Array.isArray, 'an array');
  (o.processes as unknown[]).forEach((p, i) => {
    const at = `processes[${i}]`;
    const q = object(p, at, 'a process (an object)');
    field(q, at, 'pid', (n) => isInteger(n) && (n as number) > 0, 'a process id');
    field(q, at, 'startKey', isNumber, 'a number');
    field(q, at, 'startTime', isTime, 'a time (ISO 8601)');
    field(q, at, 'role', (r) => ROLES.includes(r as string), `one of ${ROLES.join(', ')}`);
    field(q, at, 'kind', orNull(isString), 'a string or null');
    field(q, at, 'orphan', (b) => typeof b === 'boolean', 'true or false');
    field(q, at, 'generation', orNull(isInteger), 'a run number or null');
    field(q, at, 'argv', (a) => Array.isArray(a) && a.every(isString), 'an array of strings');
  });
});
