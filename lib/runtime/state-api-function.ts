/** The `state-api` function for functions-framework hosts (the deployed function, `npm start`, the tests). */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { withMetricsEndpoint } from '../../functions/state-api/metrics-handler.ts';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import type { Config } from '../config.ts';
import { expressHandler } from '../http/express.ts';
import { servedWithoutDomain } from '../http/framework-domain.ts';
import type { Logger } from '../observability/logger.ts';
import { isPrometheus, type Metrics } from '../observability/metrics.ts';
import { stateApiDeps } from './state-api.ts';
import type { Tiers } from './tiers.ts';

/**
 * The `state-api` HTTP function as every host serves it (the deployed function, `npm start`, the tests): the
 * routes measured by `metrics`, and GET /metrics when those are Prometheus. `tiers` is opened on first use.
 * Served without the framework's per-request domain (lib/http/framework-domain.ts).
 */
export function stateApiFunction(
  config: Config,
  tiers: () => Promise<Tiers>,
  log: Logger,
  metrics: Metrics,
  now: () => number = Date.now,
): HttpFunction {
  let opened: Tiers | undefined;
  const routes = stateApiRoutes({ metrics, hotBreaker: () => opened?.breakers?.hot?.state() });
  const api = expressHandler(
    routes,
    async () => {
      opened = await tiers();
      return stateApiDeps(config, opened, log, now);
    },
    log,
  );
  return servedWithoutDomain(
    withMetricsEndpoint(api, isPrometheus(metrics) ? { metrics, gauges: tiers, log } : undefined),
    log,
  );
}
