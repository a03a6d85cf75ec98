/** Wires the state API from configuration: tiers, service, authenticator. The composition root of `state-api`. */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { StateApiDeps } from '../../functions/state-api/handlers.ts';
import { withMetricsEndpoint } from '../../functions/state-api/metrics-handler.ts';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { createAuthenticator } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import { expressHandler } from '../http/express.ts';
import type { Logger } from '../observability/logger.ts';
import { isPrometheus, type Metrics } from '../observability/metrics.ts';
import { createPersistenceService } from '../service/index.ts';
import type { Tiers } from './tiers.ts';

export function stateApiDeps(
  config: Config,
  tiers: Tiers,
  log: Logger,
  now: () => number = Date.now,
): StateApiDeps {
  const service = createPersistenceService({
    hot: tiers.hot,
    durable: tiers.durable,
    ...(tiers.archive && { archive: tiers.archive }),
    ...(tiers.fallback && { fallback: tiers.fallback }),
    ...(tiers.breakers && { breakers: tiers.breakers }),
    log,
    now,
    settings: {
      limits: { maxStateBytes: config.limits.maxStateBytes, maxDepth: config.limits.maxDepth },
      compressAboveBytes: config.compressAboveBytes,
      ephemeralPaths: config.ephemeralPaths,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    },
  });
  return {
    service,
    auth: createAuthenticator(tiers.durable),
    limits: { maxBodyBytes: config.limits.maxBodyBytes, maxDepth: config.limits.maxDepth },
  };
}

/**
 * The `state-api` HTTP function as every host serves it (the deployed function, `npm start`, the tests): the
 * routes measured by `metrics`, and GET /metrics when those are Prometheus. `tiers` is opened on first use.
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
  return withMetricsEndpoint(api, isPrometheus(metrics) ? { metrics, gauges: tiers, log } : undefined);
}
