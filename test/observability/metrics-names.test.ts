/**
 * The dashboards and alert policies name only metrics the code emits, with labels those metrics have; every
 * catalogue entry is a log-based metric of the right kind, and the module's .tf files are as `terraform fmt`
 * writes them.
 */
import { format } from '@cdktn/hcl-tools';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloudValueType,
  METRIC_CATALOG,
  METRIC_NAMES,
  type MetricName,
  specOf,
} from '../../lib/observability/metrics-catalog.ts';
import { createPrometheusMetrics } from '../../lib/observability/metrics-prometheus.ts';
import {
  block,
  CLOUD_DASHBOARD,
  GRAFANA_DASHBOARD,
  type Hcl,
  type MonitoringModule,
  readJson,
  readMonitoringModule,
  stringsIn,
} from './monitoring-module.ts';

const RUNBOOK_ANCHORS = [
  'redis-timeouts',
  'checkpoint-failures',
  'archive-delays',
  'cross-tier-inconsistency',
  'dead-letters',
  'breaker-open',
  'spool-backlog',
];
/** The metrics behind the rows of the SLA table. */
const SLA_METRICS: readonly MetricName[] = [
  'strata_request_duration_seconds',
  'strata_saves_total',
  'strata_failover_total',
  'strata_breaker_state',
  'strata_spool_depth',
  'strata_outbox_depth',
  'strata_archive_lag_seconds',
  'strata_consistency_drift_total',
  'strata_consistency_repaired_total',
  'strata_dead_letters',
];
const isCatalogued = (name: string): name is MetricName => name in METRIC_CATALOG;

interface Reference {
  readonly metric: MetricName;
  readonly labels: readonly string[];
}

/**
 * The strata_… metrics a query names, with the labels it filters or groups on. Cloud Monitoring filters name
 * `logging.googleapis.com/user/<name>` and `metric.label.<label>`; PromQL names `<name>` (self-hosted) or
 * `logging_googleapis_com:user_<name>` (Cloud Monitoring), with `_bucket`/`_sum`/`_count` for distributions.
 */
function referencesIn(
  query: string,
  where: string,
  promSuffixes: (name: MetricName) => boolean,
): Reference[] {
  const refs: Reference[] = [];
  const resolve = (token: string): MetricName => {
    if (isCatalogued(token)) return token;
    const base = token.replace(/_(bucket|sum|count)$/, '');
    if (base !== token && isCatalogued(base) && promSuffixes(base)) return base;
    throw new Error(`${where} names ${token}, which is not a catalogued metric: ${query}`);
  };
  for (const match of query.matchAll(/metric\.type="logging\.googleapis\.com\/user\/([a-z0-9_]+)"/g)) {
    const labels = [...query.matchAll(/metric\.labels?\.(\w+)/g)].map((m) => m[1] ?? '');
    refs.push({ metric: resolve(match[1] ?? ''), labels });
  }
  const promql = /(?:logging_googleapis_com:user_)?(strata_[a-z0-9_]+)(\{([^}]*)\})?/g;
  if (!query.includes('metric.type=')) {
    for (const match of query.matchAll(promql)) {
      const selector = [...(match[3] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)/g)].map((m) => m[1] ?? '');
      const grouped = [...query.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => (m[1] ?? '').split(/,\s*/));
      const labels = [...selector, ...grouped].filter((l) => l !== 'le' && l !== 'monitored_resource' && l);
      refs.push({ metric: resolve(match[1] ?? ''), labels });
    }
  }
  if (/strata_/.test(query) && refs.length === 0)
    throw new Error(`${where}: unparsed metric reference ${query}`);
  return refs;
}

function expectKnownLabels(refs: readonly Reference[], where: string): void {
  for (const ref of refs) {
    // A label grouped in one part of a PromQL expression may belong to the other metric it names.
    const known = new Set(refs.flatMap((r) => specOf(r.metric).labels));
    for (const label of ref.labels)
      expect(known.has(label), `${where}: label ${label} of ${ref.metric}`).toBe(true);
  }
}

let mod: MonitoringModule;
let registry: Registry;
beforeAll(async () => {
  mod = await readMonitoringModule();
  registry = new Registry();
  createPrometheusMetrics(registry);
});

/** The code emits it: registered in the Prometheus sink, and a log-based metric reads its lines. */
function expectEmitted(name: MetricName): void {
  expect(registry.getSingleMetric(name), `${name} in the Prometheus sink`).toBeDefined();
  expect(mod.resources('google_logging_metric')[name], `${name} in log-metrics.tf`).toBeDefined();
}

describe('log-metrics.tf', () => {
  it('defines exactly one log-based metric per catalogue entry, of the kind Cloud Logging allows', () => {
    const metrics = mod.resources('google_logging_metric');
    expect(Object.keys(metrics).sort()).toEqual([...METRIC_NAMES].sort());
    for (const name of METRIC_NAMES) {
      const spec = specOf(name);
      const metric = metrics[name] as Hcl;
      const descriptor = block(metric, 'metric_descriptor');
      expect(metric.name, name).toBe(name);
      expect(metric.project).toBe(`\${var.project_id}`);
      expect(metric.description).toBe(spec.help);
      expect(descriptor?.metric_kind, name).toBe('DELTA'); // log-based metrics are DELTA only
      expect(descriptor?.value_type, name).toBe(cloudValueType(name));
      const labels = ((descriptor?.labels as Hcl[] | undefined) ?? []).map((l) => [l.key, l.value_type]);
      expect(labels, name).toEqual(spec.labels.map((l) => [l, 'STRING']));
      expect(metric.label_extractors ?? {}, name).toEqual(
        Object.fromEntries(spec.labels.map((l) => [l, `EXTRACT(jsonPayload.${l})`])),
      );
      if (cloudValueType(name) === 'DISTRIBUTION') {
        expect(metric.value_extractor, name).toBe(`EXTRACT(jsonPayload.${name})`);
        const bounds = block(block(metric, 'bucket_options'), 'explicit_buckets')?.bounds;
        expect(bounds, name).toEqual(spec.buckets);
      } else {
        expect(metric.value_extractor, name).toBeUndefined();
        expect(metric.bucket_options, name).toBeUndefined();
      }
    }
  });

  it('reads only the Strata functions’ logs', () => {
    expect(mod.locals.strata_logs).toMatch(
      /^resource\.type=\\?"cloud_run_revision\\?" AND resource\.labels\.service_name=\(\$\{join\(" OR ", \[for name in var\.function_names/,
    );
    for (const metric of Object.values(mod.resources('google_logging_metric')))
      expect(String(metric.filter)).toMatch(/^\$\{local\.strata_logs\} AND /);
  });
});

describe('the monitoring module', () => {
  it('takes exactly the four variables the root module passes', () => {
    const variables = Object.values(mod.files).flatMap((f) =>
      Object.keys((f.variable as Hcl | undefined) ?? {}),
    );
    expect(variables.sort()).toEqual([
      'environment',
      'function_names',
      'notification_channel_ids',
      'project_id',
    ]);
  });

  it('is formatted as terraform fmt formats it', async () => {
    for (const [name, text] of Object.entries(mod.texts)) expect(await format(text), name).toBe(text);
  });
});

describe('alert policies', () => {
  const policies = () => mod.resources('google_monitoring_alert_policy');

  it('one critical policy per SLA row, notifying the channels, pointing to its runbook section', () => {
    expect(Object.keys(policies()).sort()).toEqual(
      [
        'archive_lag',
        'breaker_open',
        'consistency_drift',
        'dead_letters',
        'failover_events',
        'outbox_depth',
        'persistence_success_rate',
        'save_latency_p99',
        'spool_depth',
      ].sort(),
    );
    const anchors = new Set<string>();
    for (const [name, policy] of Object.entries(policies())) {
      expect(policy.severity, name).toBe('CRITICAL');
      expect(policy.notification_channels, name).toBe(`\${var.notification_channel_ids}`);
      const content = String(block(policy, 'documentation')?.content);
      const anchor = /docs\/operations\.md#([a-z-]+)/.exec(content)?.[1];
      expect(RUNBOOK_ANCHORS, `${name} runbook anchor`).toContain(anchor);
      anchors.add(anchor ?? '');
    }
    expect([...anchors].sort()).toEqual([...RUNBOOK_ANCHORS].sort());
  });

  it('name only emitted metrics and their labels', () => {
    const named = new Set<MetricName>();
    for (const [name, policy] of Object.entries(policies())) {
      for (const condition of (policy.conditions as Hcl[] | undefined) ?? []) {
        const threshold = block(condition, 'condition_threshold');
        const promql = block(condition, 'condition_prometheus_query_language');
        const queries = [threshold?.filter, threshold?.denominator_filter, promql?.query].filter(
          (q): q is string => typeof q === 'string',
        );
        expect(queries.length, name).toBeGreaterThan(0);
        for (const query of queries) {
          const refs = referencesIn(query, `alert ${name}`, (m) => cloudValueType(m) === 'DISTRIBUTION');
          expect(refs.length, query).toBeGreaterThan(0);
          expectKnownLabels(refs, `alert ${name}`);
          for (const ref of refs) named.add(ref.metric);
        }
      }
    }
    for (const metric of named) expectEmitted(metric);
    // Every SLA row's metric is alerted on (the consistency row compares drift with repairs).
    expect([...named].sort()).toEqual([...SLA_METRICS].sort());
  });
});

describe('dashboards', () => {
  it('the Cloud Monitoring dashboard charts every catalogue metric, by names and labels the code emits', async () => {
    const queries = stringsIn(await readJson(CLOUD_DASHBOARD)).filter((s) => s.includes('strata_'));
    const refs = queries.flatMap((q) => {
      const found = referencesIn(q, 'dashboard.json', (m) => cloudValueType(m) === 'DISTRIBUTION');
      expectKnownLabels(found, `dashboard.json: ${q}`);
      return found;
    });
    const named = new Set(refs.map((r) => r.metric));
    for (const metric of named) expectEmitted(metric);
    expect([...named].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('the Grafana dashboard charts every catalogue metric from a Prometheus datasource variable', async () => {
    const dashboard = (await readJson(GRAFANA_DASHBOARD)) as {
      templating: { list: { name: string; type: string; query: string }[] };
      panels: {
        title: string;
        datasource: { uid: string };
        targets: { expr: string; datasource: { uid: string } }[];
      }[];
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const named = new Set<MetricName>();
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe(`\${datasource}`);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.datasource.uid).toBe(`\${datasource}`);
        const refs = referencesIn(
          target.expr,
          `grafana ${panel.title}`,
          (m) => specOf(m).type === 'histogram',
        );
        expectKnownLabels(refs, `grafana ${panel.title}`);
        for (const ref of refs) named.add(ref.metric);
      }
    }
    for (const metric of named) expectEmitted(metric);
    expect([...named].sort()).toEqual([...METRIC_NAMES].sort());
  });
});
