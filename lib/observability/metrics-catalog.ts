/**
 * The metric catalogue: every metric Strata emits, as data. The Prometheus sink registers exactly these, the log
 * sink writes lines for them, terraform/modules/monitoring/log-metrics.tf defines one log-based metric per entry,
 * and test/observability checks the dashboards and alerts against this list. Names are final (agreed between
 * engineers): dashboards and alert policies cite them.
 */

/** Latency buckets of a tier call, seconds: a Redis round trip is ~1 ms, a Postgres commit a few ms. */
const TIER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Latency buckets of a state-api answer, seconds; 0.25 (the p99 target) and 1 (the alert) are bounds. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const METRIC_CATALOG = {
  strata_tier_call_duration_seconds: {
    type: 'histogram',
    help: 'Duration of one call to a tier port, in seconds. outcome=error when the call failed (tier unavailable, timeout or unexpected error); a typed answer such as a version conflict is ok.',
    labels: ['tier', 'operation', 'outcome'],
    buckets: TIER_BUCKETS,
  },
  strata_requests_total: {
    type: 'counter',
    help: 'Answers of the state API, by route pattern (unmatched for a 404/405 of the router), method and HTTP status.',
    labels: ['route', 'method', 'status'],
  },
  strata_request_duration_seconds: {
    type: 'histogram',
    help: 'Time from dispatch to answer of a state-API request, in seconds, by route pattern and method.',
    labels: ['route', 'method'],
    buckets: REQUEST_BUCKETS,
  },
  strata_saves_total: {
    type: 'counter',
    help: 'Saves (PUT state and restore) by the answer: acknowledged with its durability (hot/durable/spooled), refused (4xx, durability none) or failed (5xx, durability none). Persistence success rate = acknowledged / (acknowledged + failed).',
    labels: ['durability', 'outcome'],
  },
  strata_loads_total: {
    type: 'counter',
    help: 'Loads (GET state) by the tier that answered (servedBy); none when the answer was not a 200.',
    labels: ['served_by'],
  },
  strata_failover_total: {
    type: 'counter',
    help: 'Failover events, by the tier that was skipped. operation=save,tier=durable: a save answered spooled. operation=save,tier=hot: a save answered durable while the hot circuit breaker was not closed. operation=load,tier=hot: a load answered 200 by a tier below hot (durable, archive or fallback), which includes a run whose hot copy expired.',
    labels: ['operation', 'tier'],
  },
  strata_breaker_state: {
    type: 'gauge',
    help: "Circuit breaker of a tier: 0 closed, 1 half-open, 2 open. Self-hosted: the process's breakers, read at scrape. Cloud: written by each scheduled function after its job, from that instance's breakers.",
    labels: ['tier'],
    buckets: [1, 2],
  },
  strata_spool_depth: {
    type: 'gauge',
    help: 'Entries waiting in the fallback spool (fallback.count()).',
    labels: [],
    buckets: [1, 10, 100, 1000, 10000, 100000],
  },
  strata_outbox_depth: {
    type: 'gauge',
    help: "Runs in the hot tier's outbox: acknowledged saves the plan will make durable, not durable yet (hot.outboxSize()).",
    labels: [],
    buckets: [10, 100, 1000, 10000, 50000, 100000, 1000000],
  },
  strata_archive_lag_seconds: {
    type: 'gauge',
    help: 'Age in seconds of the oldest completed run not archived yet (0 when none).',
    labels: [],
    buckets: [60, 300, 600, 1800, 3600, 21600, 86400],
  },
  strata_consistency_drift_total: {
    type: 'counter',
    help: 'Drift found by the consistency check, by kind (lib/lifecycle/consistency-drift.ts). hot_ahead_of_durable is expected for AUTO saves of live runs.',
    labels: ['kind'],
    // One log line per check and kind carries the count: in Cloud Logging the count is the line's value.
    cloud: 'sum',
    buckets: [1, 10, 100, 1000, 10000, 100000],
  },
  strata_consistency_repaired_total: {
    type: 'counter',
    help: 'Drift repaired by the consistency check, by kind.',
    labels: ['kind'],
    cloud: 'sum',
    buckets: [1, 10, 100, 1000, 10000, 100000],
  },
  strata_dead_letters: {
    type: 'gauge',
    help: 'Spooled entries quarantined because a tier refused their data. Reads 0 until the fallback port can count them.',
    labels: [],
    buckets: [1, 10, 100, 1000],
  },
} as const satisfies Record<string, MetricSpec>;

export interface MetricSpec {
  readonly type: 'counter' | 'histogram' | 'gauge';
  readonly help: string;
  readonly labels: readonly string[];
  /**
   * Histograms: the Prometheus buckets and the log-based distribution's explicit bounds (the same). Gauges and
   * `cloud: 'sum'` counters: the bounds of their log-based distribution only.
   */
  readonly buckets?: readonly number[];
  /**
   * How a counter becomes a log-based metric. 'count' (default): one line per event, DELTA INT64 counting
   * matching lines. 'sum': an event carries a count > 1, so the log-based metric is a DELTA DISTRIBUTION of
   * the lines' values (google_logging_metric can only count lines or distribute extracted values).
   */
  readonly cloud?: 'count' | 'sum';
}

export type MetricCatalog = typeof METRIC_CATALOG;
export type MetricName = keyof MetricCatalog;
type OfType<T extends MetricSpec['type']> = {
  [N in MetricName]: MetricCatalog[N]['type'] extends T ? N : never;
}[MetricName];
export type CounterName = OfType<'counter'>;
export type HistogramName = OfType<'histogram'>;
export type GaugeName = OfType<'gauge'>;

/** The labels a metric takes, each a string: `LabelsOf<'strata_loads_total'>` is `{ served_by: string }`. */
export type LabelsOf<N extends MetricName> = { readonly [K in MetricCatalog[N]['labels'][number]]: string };

/** One measurement of one metric: a counter increment, a histogram observation or a gauge value. */
export type Measurement = {
  [N in MetricName]: { readonly name: N; readonly labels: LabelsOf<N>; readonly value: number };
}[MetricName];

export const METRIC_NAMES = Object.keys(METRIC_CATALOG) as MetricName[];

/** The catalogue entry of `name`, widened to the spec every entry satisfies. */
export const specOf = (name: MetricName): MetricSpec => METRIC_CATALOG[name];

/**
 * How the entry is kept in Cloud Monitoring (log-metrics.tf): counters counting lines are DELTA INT64,
 * everything else is a DELTA DISTRIBUTION of an extracted value. Log-based metrics are DELTA only: a gauge
 * cannot be a GAUGE there, so its samples are distributed and charted by their mean per alignment period.
 */
export function cloudValueType(name: MetricName): 'INT64' | 'DISTRIBUTION' {
  const spec = specOf(name);
  return spec.type === 'counter' && (spec.cloud ?? 'count') === 'count' ? 'INT64' : 'DISTRIBUTION';
}
