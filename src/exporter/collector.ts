// The exporter's collection: the one evidence pipeline (collectEvidence, without the server's own
// metrics: Prometheus scrapes those itself) and the diagnosis, on a schedule of its own, never
// overlapping, at most once per interval. Each collection is rendered once per format and cached;
// a scrape reads the cache, so a scrape never takes a census and ten scrapers cost what one does.
import { diagnosisInput } from '../diagnosis/input.js';
import { collectEvidence, type EvidencePlan } from '../evidence/collect.js';
import type { Host } from '../host/host.js';
import { monotonicMs } from '../host/clock.js';
import { runRules } from '../rules/diagnose.js';
import type { RuleSettings } from '../rules/settings.js';
import { version } from '../version.js';
import { exposition, type ExpositionFormat } from './exposition.js';
import { factsOf, type Series } from './facts.js';
import type { ProbeName } from './metrics.js';

export interface CollectorOptions {
  plan: EvidencePlan;
  rules?: RuleSettings;
  /** Time between the starts of two collections (a slow collection delays the next, never overlaps it). */
  intervalMs: number;
  /** Told when a collection fails (its message): the exporter keeps serving the last good one. */
  onError?: (message: string) => void;
}

export interface Exposed {
  text: string;
  openmetrics: string;
  /** When the series served were collected (ms since the epoch); null before the first success. */
  collectedAt: number | null;
}

export interface Collector {
  /** One collection now (also the first one of `start`); resolves when it is cached. */
  collectOnce(): Promise<Exposed>;
  /** Collects now and then every interval, until `stop`. */
  start(): Promise<Exposed>;
  stop(): void;
  /** The cached exposition; null before the first collection ended. */
  current(): Exposed | null;
  stats(): { collections: number; errors: number };
}

export function createCollector(host: Host, o: CollectorOptions): Collector {
  let cached: Exposed | null = null;
  let lastFacts: Series[] = [];
  let lastSuccessAt: number | null = null;
  let collections = 0;
  let errors = 0;
  let cpuTotal = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let inFlight: Promise<Exposed> | null = null;

  const once = async (): Promise<Exposed> => {
    const t0 = monotonicMs();
    const cpu0 = process.cpuUsage();
    const durations = new Map<ProbeName, number>();
    let facts: Series[] | null = null;
    try {
      const evidence = await collectEvidence(host, { ...o.plan, onProbe: (p, ms) => durations.set(p, (durations.get(p) ?? 0) + ms) });
      const { input } = diagnosisInput(evidence);
      facts = factsOf(evidence, input, runRules(input, o.rules ?? {}));
    } catch (e) {
      errors++;
      o.onError?.(e instanceof Error ? e.message : String(e));
    }
    collections++;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    cpuTotal += cpuSeconds;
    if (facts !== null) {
      lastFacts = facts;
      lastSuccessAt = host.now().getTime();
    }
    const own: Series[] = [
      { name: 'rerun_doctor_build_info', labels: { version: version() }, value: 1 },
      ...(facts !== null ? [...durations].map(([probe, ms]): Series => ({ name: 'rerun_doctor_probe_duration_seconds', labels: { probe }, value: ms / 1000 })) : []),
      { name: 'rerun_doctor_collection_duration_seconds', labels: {}, value: (monotonicMs() - t0) / 1000 },
      { name: 'rerun_doctor_collection_cpu_seconds', labels: {}, value: cpuSeconds },
      { name: 'rerun_doctor_collection_success', labels: {}, value: facts !== null ? 1 : 0 },
      ...(lastSuccessAt !== null ? [{ name: 'rerun_doctor_last_collection_timestamp_seconds', labels: {}, value: lastSuccessAt / 1000 } satisfies Series] : []),
      { name: 'rerun_doctor_collections_total', labels: {}, value: collections },
      { name: 'rerun_doctor_collection_errors_total', labels: {}, value: errors },
      { name: 'rerun_doctor_collector_cpu_seconds_total', labels: {}, value: cpuTotal },
    ];
    // A failed collection keeps the last good series (with their probe durations gone) and says so.
    const series = [...(facts ?? lastFacts.filter((s) => s.name !== 'rerun_doctor_probe_duration_seconds')), ...own];
    const [text, openmetrics] = await Promise.all((['text', 'openmetrics'] as ExpositionFormat[]).map((f) => exposition(series, f)));
    cached = { text: text!, openmetrics: openmetrics!, collectedAt: lastSuccessAt };
    return cached;
  };

  const collectOnce = (): Promise<Exposed> => {
    inFlight ??= once().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const loop = async (): Promise<void> => {
    const started = monotonicMs();
    await collectOnce();
    if (stopped) return;
    timer = setTimeout(() => void loop(), Math.max(0, o.intervalMs - (monotonicMs() - started)));
  };

  return {
    collectOnce,
    async start() {
      stopped = false;
      const started = monotonicMs();
      const first = await collectOnce();
      if (!stopped) timer = setTimeout(() => void loop(), Math.max(0, o.intervalMs - (monotonicMs() - started)));
      return first;
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
    current: () => cached,
    stats: () => ({ collections, errors }),
  };
}
