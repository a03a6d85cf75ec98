/** The Prometheus sink: one prom-client metric per catalogue entry, in a Registry the composition root owns. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_CATALOG, METRIC_NAMES, type Measurement, type MetricName } from './metrics-catalog.ts';
import { metricsOver, type PrometheusMetrics } from './metrics-port.ts';

type Instrument =
  | { readonly type: 'counter'; readonly metric: Counter<string> }
  | { readonly type: 'histogram'; readonly metric: Histogram<string> }
  | { readonly type: 'gauge'; readonly metric: Gauge<string> };

/** Registers every catalogue metric in `registry` (which must not hold them already) and writes to them. */
export function createPrometheusMetrics(registry: Registry): PrometheusMetrics {
  const instruments = new Map<MetricName, Instrument>();
  for (const name of METRIC_NAMES) instruments.set(name, instrumentFor(name, registry));

  const apply = (m: Measurement) => {
    const instrument = instruments.get(m.name);
    if (!instrument) return;
    const labels: Record<string, string> = m.labels;
    if (instrument.type === 'counter') instrument.metric.inc(labels, m.value);
    else if (instrument.type === 'histogram') instrument.metric.observe(labels, m.value);
    else instrument.metric.set(labels, m.value);
  };
  return { ...metricsOver('prometheus', (measurements) => measurements.forEach(apply)), registry };
}

function instrumentFor(name: MetricName, registry: Registry): Instrument {
  const spec = METRIC_CATALOG[name];
  const common = { name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
  if (spec.type === 'counter') return { type: 'counter', metric: new Counter(common) };
  if (spec.type === 'gauge') return { type: 'gauge', metric: new Gauge(common) };
  return { type: 'histogram', metric: new Histogram({ ...common, buckets: [...spec.buckets] }) };
}
