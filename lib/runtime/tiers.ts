/**
 * Opens the tiers the configuration names — production backends, or the embedded defaults that need no server —
 * each behind its circuit breaker. Backends are imported lazily, so a deploy never loads what it does not use
 * (chDB is a dev dependency; PGlite costs ~4 s to start).
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { TierName } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { type Metrics, offMetrics } from '../observability/metrics.ts';
import type { ArchiveTier } from '../tiers/archive/port.ts';
import type { WithArchiveQueue, WithRunScan } from '../tiers/durable/archive-queue-port.ts';
import type { DurableTier, TenantDirectory } from '../tiers/durable/port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';
import { instrumentTier } from './instrumented-tiers.ts';
import { type Breakers, withBreaker } from './resilient-tiers.ts';

export interface Tiers {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan;
  readonly archive?: ArchiveTier;
  readonly fallback?: FallbackStore;
  readonly breakers?: Breakers;
  close(): Promise<void>;
}

/** `metrics` times every tier call (instrumented-tiers.ts), inside each breaker. @default offMetrics */
export async function openTiers(config: Config, log: Logger, metrics: Metrics = offMetrics): Promise<Tiers> {
  const breakers: Breakers = {};
  const rawHot = await openHot(config);
  const rawDurable = await openDurable(config);
  const rawArchive = await openArchive(config);
  const fallback = await openFallback(config);
  const timed = <T extends object>(name: TierName, tier: T) => instrumentTier(name, tier, metrics);
  const archive = rawArchive && withBreaker('archive', timed('archive', rawArchive), breakers, log);
  return {
    hot: withBreaker('hot', timed('hot', rawHot), breakers, log),
    durable: withBreaker('durable', timed('durable', rawDurable), breakers, log),
    ...(archive && { archive }),
    fallback: timed('fallback', fallback),
    breakers,
    async close() {
      await Promise.allSettled([rawHot.close(), rawDurable.close(), rawArchive?.close(), fallback.close()]);
    },
  };
}

async function openHot(config: Config): Promise<HotTier> {
  if (config.hot.kind === 'upstash') {
    const { createUpstashHotTier } = await import('../tiers/hot/upstash.ts');
    const { keepAliveRequester } = await import('../tiers/hot/upstash-requester.ts');
    return createUpstashHotTier({
      url: config.hot.url,
      token: config.hot.token,
      timeoutMs: config.hot.timeoutMs,
      transport: keepAliveRequester,
    });
  }
  const { createMemoryHotTier } = await import('../tiers/hot/memory.ts');
  return createMemoryHotTier({ persistPath: join(config.dataDir, 'hot-tier.json') });
}

async function openDurable(
  config: Config,
): Promise<DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan> {
  if (config.durable.kind === 'neon') {
    const { createNeonDurableTier } = await import('../tiers/durable/neon.ts');
    return createNeonDurableTier({
      connectionString: config.durable.connectionString,
      timeoutMs: config.durable.timeoutMs,
      ...(config.durable.localProxy && { localProxy: config.durable.localProxy }),
    });
  }
  const { createPgliteDurableTier } = await import('../tiers/durable/pglite.ts');
  return createPgliteDurableTier({ dataDir: join(config.dataDir, 'pglite') });
}

async function openArchive(config: Config): Promise<ArchiveTier | undefined> {
  const archive = config.archive;
  if (archive.kind === 'none') return undefined;
  const { createClickHouseArchiveTier, migrateClickHouseArchive } = await import(
    '../tiers/archive/clickhouse.ts'
  );
  if (archive.kind === 'clickhouse') {
    return createClickHouseArchiveTier({
      url: archive.url,
      username: archive.username,
      password: archive.password,
      database: archive.database,
      timeoutMs: archive.timeoutMs,
    });
  }
  // Embedded ClickHouse (chDB) behind the HTTP interface client-web speaks: the production code path, locally.
  const { createChdbFetch } = await import('../../infra/chdb-http/index.ts');
  const options = {
    url: 'http://chdb.local',
    fetch: createChdbFetch({ dataDir: join(config.dataDir, 'chdb') }),
  };
  await migrateClickHouseArchive(options);
  return createClickHouseArchiveTier(options);
}

async function openFallback(config: Config): Promise<FallbackStore> {
  const fallback = config.fallback;
  if (fallback.kind === 'gcs') {
    const { createGcsFallback } = await import('../tiers/fallback/gcs.ts');
    return createGcsFallback({
      bucket: fallback.bucket,
      prefix: fallback.prefix,
      ...(fallback.endpoint && { endpoint: fallback.endpoint }),
    });
  }
  if (fallback.kind === 'memory') {
    const { createMemoryFallback } = await import('../tiers/fallback/memory.ts');
    return createMemoryFallback();
  }
  const { createLocalFolderFallback } = await import('../tiers/fallback/local-folder.ts');
  return createLocalFolderFallback({ dir: fallback.dir });
}
