/**
 * The log sink: one structured JSON line per event through pino, which Cloud Logging parses into jsonPayload and
 * terraform/modules/monitoring/log-metrics.tf turns into log-based metrics. A line looks like
 *   {"severity":"INFO","metric":"strata_requests_total","route":"/v1/runs/:runId/state","method":"PUT",
 *    "status":"200","value":1,"strata_requests_total":1,"strata_request_duration_seconds":0.012,
 *    "durability":"hot","outcome":"acknowledged","strata_saves_total":1,"message":"metric"}
 * `metric` and `value` name the line's first measurement (for people and grep); every measurement is also a
 * field named after its metric, which is what each log-based metric filters on (`jsonPayload.<name>:*`) and
 * extracts, so several metrics of one request share one line. Labels are top-level fields.
 */
import type { Logger } from './logger.ts';
import type { Measurement } from './metrics-catalog.ts';
import { type Metrics, metricsOver } from './metrics-port.ts';

/** The message of every metric line. */
export const METRIC_LINE_MESSAGE = 'metric';

/** The JSON fields of the line for `measurements`, or null when none has a finite value. */
export function metricLine(measurements: readonly Measurement[]): Record<string, string | number> | null {
  const kept = measurements.filter((m) => Number.isFinite(m.value));
  const first = kept[0];
  if (!first) return null;
  const line: Record<string, string | number> = { metric: first.name };
  for (const m of kept) {
    const labels: Record<string, string> = m.labels;
    for (const [key, value] of Object.entries(labels)) {
      // Two measurements of one line giving a label different values would make the line ambiguous: the
      // catalogue keeps label names of co-emitted metrics apart, and this keeps the first if that ever slips.
      line[key] ??= value;
    }
    line[m.name] = m.value;
  }
  line.value = first.value;
  return line;
}

export function createLogMetrics(log: Logger): Metrics {
  // Metric lines are the metrics: they are written at info even when STRATA_LOG_LEVEL is quieter.
  const out = log.child({}, { level: 'info' });
  return metricsOver('log', (measurements) => {
    const line = metricLine(measurements);
    if (line) out.info(line, METRIC_LINE_MESSAGE);
  });
}
