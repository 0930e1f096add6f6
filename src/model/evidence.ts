// The evidence document: everything a diagnosis reads, in one serialisable, versioned object. Saved
// (`rerun-doctor evidence --json`, `diagnose --save FILE`), it replays to the same findings on
// another machine (`diagnose --from FILE`), and the exporter and the HTML report read the same.
// Each part is an Outcome: ok (with what could not be seen), unavailable (nothing to read here:
// not an error) or failed (it exists and could not be read); the rules keep the difference.
import type { HistoryEntry } from './count.js';
import type { CpuEvidence } from './cpu.js';
import type { MultiprocDir } from './multiproc.js';
import type { GpuEvidence } from './gpu.js';
import type { MemoryEvidence } from './memory.js';
import type { MetricsSample } from './metrics-sample.js';
import type { Outcome } from './outcome.js';
import type { ShmEvidence } from './shm.js';
import type { SocketFileEvidence } from './socket-files.js';
import type { Snapshot } from './snapshot.js';
import type { ThermalEvidence } from './thermal.js';

export const EVIDENCE_SCHEMA_VERSION = 1;
/** The `kind` of an evidence file, so a replay can tell one from any other JSON. */
export const EVIDENCE_KIND = 'rerun-doctor-evidence';
/** The Markdown bundle's marker before its fenced JSON copy of the document. */
export const EMBED_MARKER = '<!-- rerun-doctor-evidence: the document below replays with `rerun-doctor diagnose --from THIS_FILE` -->';

/** What a census is judged against: everything classify needs, as plain values (patterns as RegExp sources). */
export interface CensusSettings {
  /** The watched ports. */
  ports: number[];
  serverPattern: string;
  workerPatterns: string[];
  generationGapSeconds: number;
  /** The project runs are scoped to (the config file's directory, --project, or the cwd). */
  projectRoot: string | null;
}

export interface EvidenceSettings {
  census: CensusSettings;
  /** N in 1 + N (model-instance workers per server), when known. */
  instances: number | null;
}

export interface MetricsWindow {
  url: string;
  /** One per scrape: interval values from the second on, or a gap with its reason. */
  samples: MetricsSample[];
  /** The first lines of the last body read, for people (the bundle shows them); null when none was read. */
  head: string | null;
}

export interface ThermalWindow {
  /** At the start of the window (the end's own reading when the start could not be read). */
  first: ThermalEvidence;
  /** At the end: this decides (it carries the GPU's thermal slowdown too). */
  last: ThermalEvidence;
}

/** Versions for a bug report (the evidence bundle asks for them). */
export interface EnvironmentInfo {
  tool: string;
  node: string;
  os: string;
  /** The server's interpreter (`Python 3.11.2 (/usr/bin/python3)`), or why not. */
  python: string;
  /** The GPU driver, or why not. */
  driver: string;
}

export interface Evidence {
  schemaVersion: typeof EVIDENCE_SCHEMA_VERSION;
  kind: typeof EVIDENCE_KIND;
  /** `rerun-doctor 0.1.0`: what collected it. */
  tool: string;
  /** When collection started (ISO). */
  collectedAt: string;
  settings: EvidenceSettings;
  /** The census judged: at the end of the window. */
  snapshot: Snapshot;
  /** The census at the start of the window, for CPU over it; null when no window passed. */
  window: { before: Snapshot; seconds: number } | null;
  metrics: Outcome<MetricsWindow>;
  gpu: Outcome<GpuEvidence>;
  /** GPU state before the server was started (`check`), when there is one. */
  gpuBefore: GpuEvidence | null;
  thermal: Outcome<ThermalWindow>;
  /**
   * Memory pressure, swap and physical memory at the end of the window (src/probes/memory.ts).
   * Absent from documents collected before it was read: read that as unavailable.
   */
  memory?: Outcome<MemoryEvidence>;
  /**
   * /dev/shm at the end of the window: segments, their holders, how full it is. Optional: a document
   * saved by an older rerun-doctor has none (read as unavailable, src/diagnosis/input.ts).
   */
  shm?: Outcome<ShmEvidence>;
  /** The project's count history (rerun-doctor count before/after keeps one). */
  history: Outcome<HistoryEntry[]>;
  /** `check`/`rerun`: what the run they started and stopped left behind (it is not running on purpose). */
  ownLeftovers: number[] | null;
  environment: EnvironmentInfo | null;
  /** Set when secrets were redacted (the bundle): how many values were replaced. */
  redacted: { values: number } | null;
  /**
   * CPUs online and the CPU quota of the project processes' cgroups (cpu-oversubscribed). Absent
   * in a document collected by an older rerun-doctor: read as unavailable (`cpuOutcome`).
   */
  cpu?: Outcome<CpuEvidence>;
  /**
   * The prometheus_client multiprocess directories the project's live processes name, listed
   * (stale-multiproc-dir). Absent in a document collected by an older rerun-doctor.
   */
  multiproc?: Outcome<MultiprocDir[]>;
  /**
   * Unix socket files the project's runs name, and those of depth-1 listings of the project
   * directory, /tmp and $XDG_RUNTIME_DIR, each told listening, answered or refused (port-held).
   * Absent in a document collected by an older rerun-doctor.
   */
  socketFiles?: Outcome<SocketFileEvidence>;
}

/** An optional part absent from a document saved by an older version: unavailable, and why. */
export const OLDER_DOCUMENT = 'not in this document (collected by an older rerun-doctor)';
