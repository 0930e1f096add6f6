// Reading a saved evidence document back: the JSON `rerun-doctor evidence --json` or `diagnose
// --save` wrote, or the Markdown bundle `rerun-doctor evidence` wrote (it embeds the document), so
// a bug report replays to the same diagnosis (`diagnose --from FILE`).
import { FileProblem, readRegularFile } from '../host/files.js';
import { UsageError } from '../model/errors.js';
import { EMBED_MARKER, EVIDENCE_KIND, EVIDENCE_SCHEMA_VERSION, type Evidence } from '../model/evidence.js';


const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The embedded document of a Markdown bundle, or null when the text has none. */
export function embeddedJson(text: string): string | null {
  // The marker on a line of its own, the last such line: the document is the bundle's last block,
  // and nothing inside it can hold a raw newline (JSON escapes them), so a metrics head or an argv
  // that quotes the marker, earlier in the bundle, is never taken for it.
  const lf = text.replace(/\r\n/g, '\n');
  const at = lf.lastIndexOf(`\n${EMBED_MARKER}\n`);
  if (at < 0) return null;
  const m = /```json\n([\s\S]*?)\n```/.exec(lf.slice(at));
  return m?.[1] ?? null;
}

/** Parses and checks a document; `file` names it in every error. */
export function parseEvidence(text: string, file: string): Evidence {
  const body = text.trimStart().startsWith('{') ? text : embeddedJson(text);
  if (body === null) throw new UsageError(`${file}: not an evidence file: expected the JSON of \`rerun-doctor evidence --json\` or \`diagnose --save\`, or a bundle written by \`rerun-doctor evidence\``);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  // `evidence --json` wraps the document with its diagnosis.
  if (isObject(doc) && doc.kind !== EVIDENCE_KIND && isObject(doc.evidence)) doc = doc.evidence;
  return checkEvidence(doc, file);
}

export function readEvidenceFile(file: string): Evidence {
  let text: string | null;
  try {
    // Never blocks: a FIFO or a device is refused, not read (src/host/files.ts).
    text = readRegularFile(file);
  } catch (e) {
    if (!(e instanceof FileProblem)) throw e;
    throw new UsageError(`--from "${file}": ${e.code === 'EISDIR' || /is a directory/.test(e.problem) ? 'is a directory, not an evidence file' : e.problem}`);
  }
  if (text === null) throw new UsageError(`--from "${file}": no such file`);
  return parseEvidence(text, file);
}

/** The shape a replay relies on, each part checked with the key named; the rest is the rules' to read. */
export function checkEvidence(doc: unknown, file: string): Evidence {
  const bad = (key: string, what: string): never => {
    throw new UsageError(`${file}: ${key} ${what}`);
  };
  if (!isObject(doc) || doc.kind !== EVIDENCE_KIND) bad('kind', `is not "${EVIDENCE_KIND}": this is not a rerun-doctor evidence document`);
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion !== EVIDENCE_SCHEMA_VERSION) {
    bad('schemaVersion', `is ${JSON.stringify(d.schemaVersion)}; this rerun-doctor reads version ${EVIDENCE_SCHEMA_VERSION}${typeof d.schemaVersion === 'number' && d.schemaVersion > EVIDENCE_SCHEMA_VERSION ? ' (the file is from a newer rerun-doctor: upgrade to replay it)' : ''}`);
  }
  const settings = d.settings;
  if (!isObject(settings) || !isObject(settings.census)) bad('settings.census', 'is missing');
  const census = (settings as Record<string, Record<string, unknown>>).census!;
  if (!Array.isArray(census.ports) || !census.ports.every((p) => Number.isInteger(p))) bad('settings.census.ports', 'must be an array of port numbers');
  if (typeof census.serverPattern !== 'string') bad('settings.census.serverPattern', 'must be a string');
  if (!Array.isArray(census.workerPatterns)) bad('settings.census.workerPatterns', 'must be an array of strings');
  if (typeof census.generationGapSeconds !== 'number') bad('settings.census.generationGapSeconds', 'must be a number');
  const snapshot = (s: unknown, key: string) => {
    if (!isObject(s)) bad(key, 'is missing');
    const o = s as Record<string, unknown>;
    if (o.platform !== 'linux' && o.platform !== 'darwin') bad(`${key}.platform`, 'must be "linux" or "darwin"');
    for (const k of ['processes', 'sockets', 'probes', 'issues']) if (!Array.isArray(o[k])) bad(`${key}.${k}`, 'must be an array');
  };
  snapshot(d.snapshot, 'snapshot');
  if (d.window !== null) {
    if (!isObject(d.window) || typeof d.window.seconds !== 'number') bad('window', 'must be null or { before, seconds }');
    snapshot((d.window as Record<string, unknown>).before, 'window.before');
  }
  for (const k of ['metrics', 'gpu', 'thermal', 'history']) {
    const o = d[k];
    if (!isObject(o) || !['ok', 'unavailable', 'failed'].includes(o.status as string)) bad(`${k}.status`, 'must be "ok", "unavailable" or "failed"');
    if ((o as Record<string, unknown>).status !== 'ok' && typeof (o as Record<string, unknown>).reason !== 'string') bad(`${k}.reason`, 'must say why it is not ok');
  }
  // Parts added after version 1 was fixed: optional, checked when present.
  for (const k of ['memory']) {
    const o = d[k];
    if (o === undefined) continue;
    if (!isObject(o) || !['ok', 'unavailable', 'failed'].includes(o.status as string)) bad(`${k}.status`, 'must be "ok", "unavailable" or "failed"');
    if ((o as Record<string, unknown>).status !== 'ok' && typeof (o as Record<string, unknown>).reason !== 'string') bad(`${k}.reason`, 'must say why it is not ok');
  }
  // Optional (older documents have none): checked when present.
  if (d.shm !== undefined) {
    const o = d.shm;
    if (!isObject(o) || !['ok', 'unavailable', 'failed'].includes(o.status as string)) bad('shm.status', 'must be "ok", "unavailable" or "failed"');
    const r = o as Record<string, unknown>;
    if (r.status !== 'ok' && typeof r.reason !== 'string') bad('shm.reason', 'must say why it is not ok');
    if (r.status === 'ok') {
      const v = r.value;
      if (!isObject(v) || !Array.isArray(v.segments) || !Array.isArray(v.unreadable) || !isObject(v.visibility) || typeof v.dir !== 'string') bad('shm.value', 'must hold dir, segments, unreadable and visibility');
      for (const [i, s] of ((v as Record<string, unknown[]>).segments ?? []).entries()) {
        if (!isObject(s) || typeof s.name !== 'string' || typeof s.uid !== 'number' || typeof s.usedBytes !== 'number' || typeof s.changedAt !== 'string' || typeof s.createdAt !== 'string' || !Array.isArray(s.holders)) bad(`shm.value.segments[${i}]`, 'must hold name, uid, usedBytes, createdAt, changedAt and holders');
      }
    }
  }
  if (d.ownLeftovers !== null && !Array.isArray(d.ownLeftovers)) bad('ownLeftovers', 'must be null or an array of pids');
  // Parts added after version 1 was fixed: optional (an older document lacks them), checked when present.
  for (const k of ['cpu', 'multiproc', 'socketFiles']) {
    const o = d[k];
    if (o === undefined) continue;
    if (!isObject(o) || !['ok', 'unavailable', 'failed'].includes(o.status as string)) bad(`${k}.status`, 'must be "ok", "unavailable" or "failed"');
    if ((o as Record<string, unknown>).status !== 'ok' && typeof (o as Record<string, unknown>).reason !== 'string') bad(`${k}.reason`, 'must say why it is not ok');
  }
  return doc as Evidence;
}
