// An evidence document fit to share: secrets redacted, and only the processes the diagnosis reads.
//
// Redaction works on the document's values, never on its serialised text (where a `\"` in a value
// would be taken for its end, leaking the rest and breaking the JSON): every argv element by
// element (`--token VALUE`, `-pPW`), a string under a secret key (a metric's `api_key` label) whole,
// every other string through the text rules (redact/tree.ts, docs/evidence-redaction.md). Trimming keeps the processes with a role and everything
// the census read in full around them (their groups and ancestors), the socket owners of the
// watched ports and pid 1; the rest of the machine's process table plays no part in a diagnosis
// and is nobody's business. The trim is checked, not assumed: the trimmed document must give the
// same diagnosis as the whole one, or the whole table is kept.
import { classify } from '../census/classify.js';
import { isDockerProxy } from '../census/docker-proxy.js';
import { classifyOptionsOf } from '../census/settings.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { Evidence } from '../model/evidence.js';
import type { Snapshot } from '../model/snapshot.js';
import { redactTree } from './redact/tree.js';

export interface Shared {
  evidence: Evidence;
  redactions: number;
  /** Processes kept of those the census saw (the judged snapshot). */
  kept: { processes: number; of: number };
}

/** The processes a diagnosis of this snapshot can read. */
function relevant(e: Evidence, s: Snapshot): Set<number> {
  const census = classify(s, classifyOptionsOf(e.settings.census, 'the evidence'));
  const keep = new Set<number>([1]);
  const byPid = new Map(s.processes.map((p) => [p.pid, p]));
  for (const p of census.processes) if (p.role !== null || p.generation !== null) keep.add(p.pid);
  // What the census read in full (environment, fds) was read because it matters: groups, ancestors.
  for (const p of s.processes) if (p.env !== undefined || p.pipes !== undefined) keep.add(p.pid);
  const watched = new Set(e.settings.census.ports);
  for (const sock of s.sockets) if (watched.has(sock.port)) for (const o of sock.owners) keep.add(o.pid);
  // docker-proxy holding a port (port-held names the container side).
  for (const sock of s.sockets) for (const o of sock.owners) if (byPid.has(o.pid) && isDockerProxy(byPid.get(o.pid)!)) keep.add(o.pid);
  // Who holds a shared-memory segment, and a torch segment's creator: the shm-leak rule reads them.
  if (e.shm?.status === 'ok') for (const seg of e.shm.value.segments) for (const pid of [...seg.holders.map((h) => h.pid), ...(seg.creatorPid !== null ? [seg.creatorPid] : [])]) if (byPid.has(pid)) keep.add(pid);
  for (const pid of [...keep]) for (let cur = byPid.get(byPid.get(pid)?.ppid ?? -1), n = 0; cur && !keep.has(cur.pid) && n < 256; cur = byPid.get(cur.ppid), n++) keep.add(cur.pid);
  return keep;
}

function trim(e: Evidence, s: Snapshot, keep: Set<number>): Snapshot {
  const watched = new Set(e.settings.census.ports);
  return {
    ...s,
    processes: s.processes.filter((p) => keep.has(p.pid)),
    sockets: s.sockets.filter((x) => watched.has(x.port) || x.owners.some((o) => keep.has(o.pid))).map((x) => ({ ...x, owners: x.owners.filter((o) => keep.has(o.pid)) })),
    // The unix listeners of the kept processes only (another program's socket paths are nobody's business).
    ...(s.unixSockets ? { unixSockets: s.unixSockets.filter((x) => x.owners.some((o) => keep.has(o.pid))).map((x) => ({ ...x, owners: x.owners.filter((o) => keep.has(o.pid)) })) } : {}),
  };
}

const sameDiagnosis = (a: Evidence, b: Evidence) => JSON.stringify(diagnose(a)) === JSON.stringify(diagnose(b));

export function shareable(e: Evidence): Shared {
  const keepEnd = relevant(e, e.snapshot);
  const keepStart = e.window ? relevant(e, e.window.before) : new Set<number>();
  const keep = new Set([...keepEnd, ...keepStart]);
  const trimmed: Evidence = { ...e, snapshot: trim(e, e.snapshot, keep), window: e.window ? { ...e.window, before: trim(e, e.window.before, keep) } : null };
  // Socket files: the stale ones and those the project names (port-held reads them); other programs' live sockets are nobody's business.
  if (e.socketFiles?.status === 'ok') trimmed.socketFiles = { ...e.socketFiles, value: { ...e.socketFiles.value, files: e.socketFiles.value.files.filter((f) => f.state === 'refused' || f.namedBy.length > 0) } };
  const chosen = sameDiagnosis(e, trimmed) ? trimmed : e;
  // What the census was judged against (patterns, ports, the project) is configuration, not data:
  // left as it is, so the replay judges the same way.
  const { settings, ...rest } = chosen;
  const r = redactTree(rest);
  const evidence: Evidence = { ...r.value, settings, kind: e.kind, schemaVersion: e.schemaVersion, redacted: { values: r.redactions } };
  return { evidence, redactions: r.redactions, kept: { processes: chosen.snapshot.processes.length, of: e.snapshot.processes.length } };
}
