/**
 * The log sink against log-metrics.tf: the lines it writes are selected by the filters the .tf defines, and the
 * value and label extractors find what the code measured. The filters are read from the parsed .tf and run over
 * the JSON lines (the subset of the Logging query language they use: `jsonPayload.f:*` and `jsonPayload.f="v"`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../lib/http/types.ts';
import { InstrumentedRouter } from '../../lib/observability/http-metrics.ts';
import { createLogger } from '../../lib/observability/logger.ts';
import {
  METRIC_NAMES,
  type Measurement,
  type MetricName,
  specOf,
} from '../../lib/observability/metrics-catalog.ts';
import { recordConsistency } from '../../lib/observability/metrics-consistency.ts';
import { readGauges } from '../../lib/observability/metrics-gauges.ts';
import { createLogMetrics } from '../../lib/observability/metrics-log.ts';
import { type Hcl, readMonitoringModule } from './monitoring-module.ts';

type Line = Record<string, unknown>;
let logMetrics: Readonly<Record<string, Hcl>>;
beforeAll(async () => {
  logMetrics = (await readMonitoringModule()).resources('google_logging_metric');
});

/** A log sink writing into an array, through a logger at `level` (the sink writes at info regardless). */
function capture(level = 'info') {
  const lines: Line[] = [];
  const log = createLogger(level, { write: (text: string) => void lines.push(JSON.parse(text)) });
  return { lines, metrics: createLogMetrics(log) };
}

/** Whether the log-based metric `name` selects `line` (the part after the shared source filter). */
function selects(name: MetricName, line: Line): boolean {
  const filter = String(logMetrics[name]?.filter);
  const prefix = `\${local.strata_logs} AND `;
  expect(filter.startsWith(prefix), filter).toBe(true);
  return filter
    .slice(prefix.length)
    .split(' AND ')
    .every((clause) => {
      const exists = /^jsonPayload\.(\w+):\*$/.exec(clause);
      if (exists) return line[exists[1] ?? ''] !== undefined;
      const equals = /^jsonPayload\.(\w+)="([^"]*)"$/.exec(clause);
      if (equals) return line[equals[1] ?? ''] === equals[2];
      throw new Error(`a clause this test cannot evaluate: ${clause}`);
    });
}

/** What the metric's extractors take from the line: its labels and (for a distribution) its value. */
function extract(name: MetricName, line: Line) {
  const metric = logMetrics[name] as Hcl;
  const field = (extractor: unknown) => {
    const path = /^EXTRACT\(jsonPayload\.(\w+)\)$/.exec(String(extractor))?.[1];
    if (!path) throw new Error(`unexpected extractor ${String(extractor)}`);
    return line[path];
  };
  const labels = Object.fromEntries(
    Object.entries((metric.label_extractors as Record<string, string> | undefined) ?? {}).map(([k, e]) => [
      k,
      field(e),
    ]),
  );
  return { labels, value: metric.value_extractor === undefined ? undefined : field(metric.value_extractor) };
}

const sampleLabels = (name: MetricName) =>
  Object.fromEntries(specOf(name).labels.map((label) => [label, `${label}-value`]));

describe('log sink lines vs log-metrics.tf', () => {
  it('each metric on its own line is selected by its log-based metric only, with its labels and value', () => {
    for (const name of METRIC_NAMES) {
      const { lines, metrics } = capture();
      metrics.event([{ name, labels: sampleLabels(name), value: 0.042 } as Measurement]);
      expect(lines, name).toHaveLength(1);
      const line = lines[0] as Line;
      expect(line).toMatchObject({ metric: name, value: 0.042, severity: 'INFO', message: 'metric' });
      expect(selects(name, line), name).toBe(true);
      for (const other of METRIC_NAMES.filter((n) => n !== name))
        expect(selects(other, line), `${other} on ${name}`).toBe(false);
      const got = extract(name, line);
      expect(got.labels).toEqual(sampleLabels(name));
      // A counter counting lines extracts no value; a distribution extracts the measured one.
      expect(got.value).toBe(logMetrics[name]?.value_extractor === undefined ? undefined : 0.042);
    }
  });

  it('a state-API save is ONE line that feeds requests, latency, saves and failover', async () => {
    const { lines, metrics } = capture();
    const router = new InstrumentedRouter<null>({ metrics, hotBreaker: () => 'closed' }).on(
      'PUT',
      '/v1/runs/:runId/state',
      async () => ({ status: 200, body: { runId: 'r', version: 3, hash: 'h', durability: 'spooled' } }),
    );
    const request: ApiRequest = {
      requestId: 'test',
      method: 'PUT',
      path: '/v1/runs/r1/state',
      query: new URLSearchParams(),
      header: () => undefined,
      rawBody: undefined,
    };
    expect((await router.dispatch(request, null)).status).toBe(200);
    expect(lines).toHaveLength(1);
    const line = lines[0] as Line;
    const fed = METRIC_NAMES.filter((name) => selects(name, line));
    expect(fed.sort()).toEqual(
      [
        'strata_failover_total',
        'strata_request_duration_seconds',
        'strata_requests_total',
        'strata_saves_total',
      ].sort(),
    );
    const route = '/v1/runs/:runId/state';
    expect(extract('strata_requests_total', line).labels).toEqual({ route, method: 'PUT', status: '200' });
    const latency = extract('strata_request_duration_seconds', line);
    expect(latency.labels).toEqual({ route, method: 'PUT' });
    expect(typeof latency.value === 'number' && latency.value >= 0 && latency.value < 1).toBe(true);
    expect(extract('strata_saves_total', line).labels).toEqual({
      durability: 'spooled',
      outcome: 'acknowledged',
    });
    expect(extract('strata_failover_total', line).labels).toEqual({ operation: 'save', tier: 'durable' });
  });

  it('a refused request is one line too: 404 of the router counts as route "unmatched"', async () => {
    const { lines, metrics } = capture();
    const router = new InstrumentedRouter<null>({ metrics });
    const request: ApiRequest = {
      requestId: 'test',
      method: 'GET',
      path: '/nowhere',
      query: new URLSearchParams(),
      header: () => undefined,
      rawBody: undefined,
    };
    expect((await router.dispatch(request, null)).status).toBe(404);
    expect(lines).toHaveLength(1);
    expect(extract('strata_requests_total', lines[0] as Line).labels).toEqual({
      route: 'unmatched',
      method: 'GET',
      status: '404',
    });
  });

  it('the consistency report is one line per kind found, carrying found and repaired', () => {
    const { lines, metrics } = capture();
    const none = { hot_behind_durable: 0, hot_hash_mismatch: 0, hot_ahead_of_durable: 0, index_behind: 0 };
    const rest = { index_ahead: 0, archive_mismatch: 0, spooled_pending: 0 };
    recordConsistency(metrics, {
      drift: { ...none, ...rest, hot_behind_durable: 5, index_ahead: 2 },
      repaired: { ...none, ...rest, hot_behind_durable: 4 },
    });
    expect(lines).toHaveLength(2);
    const [behind, ahead] = lines as [Line, Line];
    expect(extract('strata_consistency_drift_total', behind)).toEqual({
      labels: { kind: 'hot_behind_durable' },
      value: 5,
    });
    expect(extract('strata_consistency_repaired_total', behind)).toEqual({
      labels: { kind: 'hot_behind_durable' },
      value: 4,
    });
    expect(extract('strata_consistency_drift_total', ahead)).toEqual({
      labels: { kind: 'index_ahead' },
      value: 2,
    });
    expect(extract('strata_consistency_repaired_total', ahead)).toEqual({
      labels: { kind: 'index_ahead' },
      value: 0,
    });
  });

  it('metric lines are written at info even when the log level is quieter; an unreadable gauge writes none', async () => {
    const { lines, metrics } = capture('warn');
    const gauges = await readGauges(
      {
        hot: { outboxSize: async () => 7 },
        durable: { archiveQueue: { oldestPendingCompletion: async () => Promise.reject(new Error('down')) } },
        breakers: { hot: { state: () => 'open' } },
      },
      () => 0,
    );
    metrics.event([gauges.find((g) => g.name === 'strata_archive_lag_seconds') as Measurement]);
    expect(lines).toHaveLength(0); // NaN: the lag could not be read
    for (const gauge of gauges) metrics.event([gauge]);
    expect(lines.map((l) => [l.metric, l.value])).toEqual([
      ['strata_breaker_state', 2],
      ['strata_outbox_depth', 7],
      ['strata_spool_depth', 0],
      ['strata_dead_letters', 0],
    ]);
    expect(extract('strata_breaker_state', lines[0] as Line)).toEqual({ labels: { tier: 'hot' }, value: 2 });
  });
});
