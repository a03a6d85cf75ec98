/**
 * Wires the state API's handlers from configuration: tiers, service, authenticator. Host-neutral (the Worker uses
 * it too); state-api-function.ts makes the functions-framework function of it.
 */
import type { StateApiDeps } from '../../functions/state-api/handlers.ts';
import { createAuthenticator } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
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
      snapshots: config.snapshots,
      ephemeralPaths: config.ephemeralPaths,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    },
  });
  return {
    service,
    auth: createAuthenticator(tiers.durable, { shared: tiers.hot }),
    limits: { maxBodyBytes: config.limits.maxBodyBytes, maxDepth: config.limits.maxDepth },
  };
}
