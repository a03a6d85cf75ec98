/**
 * The Metrics port: what instrumentation (http-metrics.ts, lib/runtime/instrumented-tiers.ts, the scheduled
 * functions) writes to, whatever the sink. Sinks implement one method, `event`; `metricsOver` builds the rest.
 */
import type { Registry } from 'prom-client';
import type { CounterName, GaugeName, HistogramName, LabelsOf, Measurement } from './metrics-catalog.ts';

export type MetricsKind = 'prometheus' | 'log' | 'off';

export interface Metrics {
  readonly kind: MetricsKind;
  /** Adds `n` (default 1) to a counter. */
  count<N extends CounterName>(name: N, labels: LabelsOf<N>, n?: number): void;
  /** Observes a duration, in seconds. */
  observe<N extends HistogramName>(name: N, labels: LabelsOf<N>, seconds: number): void;
  /** Sets a gauge. A NaN value means "could not be read" (Prometheus shows NaN; the log sink writes nothing). */
  gauge<N extends GaugeName>(name: N, labels: LabelsOf<N>, value: number): void;
  /**
   * Several measurements of ONE event (a request: its count, latency, save outcome …). The log sink writes them
   * as one line, so log volume stays one line per request; the first measurement names the line.
   */
  event(measurements: readonly Measurement[]): void;
}

/** A Metrics sink whose measurements go to a prom-client Registry: `registry.metrics()` is the scrape. */
export interface PrometheusMetrics extends Metrics {
  readonly kind: 'prometheus';
  readonly registry: Registry;
}

/** Builds count/observe/gauge over `event`, the one method a sink implements. */
export function metricsOver<K extends MetricsKind>(
  kind: K,
  event: (measurements: readonly Measurement[]) => void,
): Metrics & { readonly kind: K } {
  const one = (measurement: Measurement) => event([measurement]);
  return {
    kind,
    event,
    count: (name, labels, n = 1) => one({ name, labels, value: n } as Measurement),
    observe: (name, labels, seconds) => one({ name, labels, value: seconds } as Measurement),
    gauge: (name, labels, value) => one({ name, labels, value } as Measurement),
  };
}

export const isPrometheus = (metrics: Metrics): metrics is PrometheusMetrics =>
  metrics.kind === 'prometheus' && 'registry' in metrics;

export const offMetrics: Metrics = metricsOver('off', () => {});
