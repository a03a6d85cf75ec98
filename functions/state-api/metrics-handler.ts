/**
 * GET /metrics for self-hosted Strata (STRATA_METRICS=prometheus): the Prometheus text exposition of the
 * process's registry, gauges read from the tiers at each scrape. Unauthenticated on purpose: operators scrape it
 * on a private network (docs/decisions.md, "Metrics"). It sits in front of the state API's router rather than in
 * its route table because the router's HTTP adapter answers JSON only, and a scraper needs Prometheus' content
 * type; without prometheus metrics the path reaches the router and is a 404 route_not_found as before.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Logger } from '../../lib/observability/logger.ts';
import type { PrometheusMetrics } from '../../lib/observability/metrics.ts';
import { type GaugeSource, recordGauges } from '../../lib/observability/metrics-gauges.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsEndpoint {
  readonly metrics: PrometheusMetrics;
  /** The tiers the gauges are read from (opened on first use, like the API's own deps). */
  readonly gauges: () => Promise<GaugeSource>;
  readonly log: Logger;
}

/** `api`, with GET /metrics answered first when `endpoint` is given; `api` unchanged otherwise. */
export function withMetricsEndpoint(api: HttpFunction, endpoint: MetricsEndpoint | undefined): HttpFunction {
  if (!endpoint) return api;
  const { metrics, gauges, log } = endpoint;
  return async (req, res) => {
    if (req.path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return api(req, res);
    try {
      await recordGauges(metrics, await gauges());
      const text = await metrics.registry.metrics();
      res.status(200).setHeader('content-type', metrics.registry.contentType);
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (error) {
      // The gauges never fail (an unreadable one is NaN): this is the tiers failing to open.
      log.warn({ err: error }, 'metrics scrape failed');
      res.status(503).setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: 'unavailable', message: 'the tiers could not be opened; retry' }));
    }
  };
}
