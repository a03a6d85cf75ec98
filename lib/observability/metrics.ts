/**
 * Metrics sinks by STRATA_METRICS: `prometheus` (a prom-client Registry scraped at GET /metrics by `npm start`),
 * `log` (one structured JSON line per event, which Cloud Logging turns into log-based metrics) and `off`.
 */
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';
import { createLogMetrics } from './metrics-log.ts';
import { type Metrics, type MetricsKind, offMetrics, type PrometheusMetrics } from './metrics-port.ts';
import { createPrometheusMetrics } from './metrics-prometheus.ts';

export type { Measurement } from './metrics-catalog.ts';
export {
  isPrometheus,
  type Metrics,
  type MetricsKind,
  metricsOver,
  offMetrics,
  type PrometheusMetrics,
} from './metrics-port.ts';

export interface MetricsSinks {
  /** For `log`: the process logger (lines are written at info whatever its level). */
  readonly log: Logger;
  /** For `prometheus`: the process's registry (one per process, owned by the composition root). */
  readonly registry: Registry;
}

export function createMetrics(kind: 'prometheus', sinks: MetricsSinks): PrometheusMetrics;
export function createMetrics(kind: MetricsKind, sinks: MetricsSinks): Metrics;
export function createMetrics(kind: MetricsKind, sinks: MetricsSinks): Metrics {
  if (kind === 'prometheus') return createPrometheusMetrics(sinks.registry);
  if (kind === 'log') return createLogMetrics(sinks.log);
  return offMetrics;
}
