/**
 * Opens the tiers of a Worker isolate: only backends that speak HTTP through `fetch` — Upstash (REST) for hot,
 * Neon over HTTP for durable, ClickHouse through client-web or no archive — each behind its circuit breaker.
 * Imported statically (workerd's module walker refuses dynamic imports), so unlike tiers.ts it names no
 * embedded backend. There is no fallback store: a Worker has no disk for the local-folder spool, and no
 * Web-standard object-storage adapter exists yet (the GCS one is Node-only); a durable write the durable tier
 * refuses is answered 503, never a 2xx.
 */
import { type Config, ConfigError } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createClickHouseArchiveTier } from '../tiers/archive/clickhouse.ts';
import { createUpstashHotTier } from '../tiers/hot/upstash.ts';
import { type Breakers, withBreaker } from './resilient-tiers.ts';
import type { Tiers } from './tiers.ts';
import { createWorkerNeonTier } from './worker-neon.ts';

/** Creating them sends nothing: the first request of the isolate makes the first call. */
export function openWorkerTiers(config: Config, log: Logger): Tiers {
  const { hot: hotConfig, durable: durableConfig, archive: archiveConfig } = config;
  if (hotConfig.kind !== 'upstash') {
    throw new ConfigError(
      'a Worker needs the Upstash hot tier (an in-memory one would be private to each isolate): ' +
        'set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN',
    );
  }
  if (durableConfig.kind !== 'neon') {
    throw new ConfigError(
      'a Worker needs Neon for the durable tier (PGlite cannot run there): set DATABASE_URL',
    );
  }
  if (archiveConfig.kind === 'chdb') {
    throw new ConfigError('chDB cannot run in a Worker: set CLICKHOUSE_URL, or STRATA_ARCHIVE=none');
  }
  const breakers: Breakers = {};
  const rawHot = createUpstashHotTier({
    url: hotConfig.url,
    token: hotConfig.token,
    timeoutMs: hotConfig.timeoutMs,
  });
  const rawDurable = createWorkerNeonTier({
    connectionString: durableConfig.connectionString,
    localProxy: durableConfig.localProxy,
    timeoutMs: durableConfig.timeoutMs,
  });
  const rawArchive =
    archiveConfig.kind === 'clickhouse'
      ? createClickHouseArchiveTier({
          url: archiveConfig.url,
          username: archiveConfig.username,
          password: archiveConfig.password,
          database: archiveConfig.database,
          timeoutMs: archiveConfig.timeoutMs,
        })
      : undefined;
  const archive = rawArchive && withBreaker('archive', rawArchive, breakers, log);
  return {
    hot: withBreaker('hot', rawHot, breakers, log),
    durable: withBreaker('durable', rawDurable, breakers, log),
    ...(archive && { archive }),
    breakers,
    async close() {
      await Promise.allSettled([rawHot.close(), rawDurable.close(), rawArchive?.close()]);
    },
  };
}
