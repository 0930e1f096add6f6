// One collection's series as an exposition, in the Prometheus text format (0.0.4) or OpenMetrics
// (1.0.0), written by prom-client (the Prometheus client library for Node.js: escaping, ordering,
// the `# EOF` and `_total` rules of each format). A fresh registry per collection: the series of a
// collection are all there is, and what is gone (an orphan ended) is gone from the next one.
import client from 'prom-client';
import { METRICS } from './metrics.js';
import type { Series } from './facts.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, client.RegistryContentType> = {
  text: client.Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: client.Registry.OPENMETRICS_CONTENT_TYPE,
};

export async function exposition(series: readonly Series[], format: ExpositionFormat): Promise<string> {
  const registry = new client.Registry<client.RegistryContentType>();
  registry.setContentType(CONTENT_TYPES[format]);
  for (const m of METRICS) {
    const mine = series.filter((s) => s.name === m.name);
    if (mine.length === 0) continue;
    const labelNames = [...m.labels];
    if (m.type === 'counter') {
      const c = new client.Counter({ name: m.name, help: m.help, labelNames, registers: [registry] });
      for (const s of mine) c.inc(s.labels, s.value);
    } else {
      const g = new client.Gauge({ name: m.name, help: m.help, labelNames, registers: [registry] });
      for (const s of mine) g.set(s.labels, s.value);
    }
  }
  return registry.metrics();
}
