/**
 * The real engines as production reaches them: @upstash/redis → Upstash bridge → the machine's Redis, and the
 * Neon driver → Neon proxy → a scratch database on the machine's Postgres (migrated, dropped afterwards).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbFetch } from '../../infra/chdb-http/index.ts';
import { startUpstashBridge, type UpstashBridge } from '../../infra/upstash-bridge/index.ts';
import { createClickHouseArchiveTier, migrateClickHouseArchive } from '../../lib/tiers/archive/clickhouse.ts';
import type { ArchiveTier } from '../../lib/tiers/archive/port.ts';
import type { WithArchiveQueue, WithRunScan } from '../../lib/tiers/durable/archive-queue-port.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { createUpstashHotTier } from '../../lib/tiers/hot/upstash.ts';
import { startBridgesProcess } from './bridges-process.ts';
import { startNeonDatabase } from './neon-database.ts';
import { freePort } from './ports.ts';
import { createScratchDatabase } from './scratch-database.ts';

export interface RealEngines {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan;
  /** chDB through @clickhouse/client-web, when asked for (one per process: chDB opens one data directory). */
  readonly archive?: ArchiveTier;
  /** What a Strata process would be configured with to reach the same engines. */
  readonly env: Readonly<Record<string, string>>;
  /** Make the hot tier unreachable (its bridge stops listening) while `work` runs, then bring it back. */
  withHotTierDown<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface RealEnginesOptions {
  readonly hotTimeoutMs?: number;
  readonly archive?: boolean;
  /**
   * 'child': the Upstash bridge and Neon proxy run in a child process (bridges-process.ts), as the remote
   * services they stand for; benchmarks under load use it. @default 'in-process'
   */
  readonly bridges?: 'in-process' | 'child';
}

export async function startRealEngines(options: RealEnginesOptions = {}): Promise<RealEngines> {
  if (options.bridges === 'child') return startWithChildBridges(options);
  const database = await startNeonDatabase('strata_test');
  const { localProxy } = database;

  const bridgePort = await freePort();
  let bridge: UpstashBridge | null = await startUpstashBridge({ port: bridgePort });
  const token = bridge.token;
  const url = bridge.url;
  // retry: false — a failed call must surface at once so failover can be observed, not after 5 retries.
  const hot = createUpstashHotTier({ url, token, retry: false, timeoutMs: options.hotTimeoutMs ?? 2_000 });
  const durable = createNeonDurableTier({ connectionString: database.url, localProxy });
  const { archive, archiveDir } = await openArchive(options);

  return {
    hot,
    durable,
    ...(archive && { archive }),
    env: productionEnv(url, token, database.url, localProxy),
    async withHotTierDown(work) {
      await bridge?.close();
      bridge = null;
      try {
        return await work();
      } finally {
        bridge = await startUpstashBridge({ port: bridgePort, token });
      }
    },
    async close() {
      await Promise.allSettled([hot.close(), durable.close(), archive?.close()]);
      await bridge?.close();
      await database.close();
      if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
    },
  };
}

/** The variables a Strata process would be configured with to reach these engines. */
function productionEnv(upstashUrl: string, upstashToken: string, databaseUrl: string, localProxy: string) {
  return {
    UPSTASH_REDIS_REST_URL: upstashUrl,
    UPSTASH_REDIS_REST_TOKEN: upstashToken,
    DATABASE_URL: databaseUrl,
    NEON_LOCAL_PROXY: localProxy,
  };
}

async function openArchive(options: RealEnginesOptions) {
  if (!options.archive) return { archive: undefined, archiveDir: null };
  const archiveDir = await mkdtemp(join(tmpdir(), 'strata-chdb-'));
  const chdb = { url: 'http://chdb.local', fetch: createChdbFetch({ dataDir: archiveDir }) };
  await migrateClickHouseArchive(chdb);
  return { archive: createClickHouseArchiveTier(chdb), archiveDir };
}

async function startWithChildBridges(options: RealEnginesOptions): Promise<RealEngines> {
  const bridges = await startBridgesProcess();
  const database = await createScratchDatabase('strata_bench');
  try {
    const { localProxy, upstashUrl: url, upstashToken: token } = bridges;
    await migrateNeon({ connectionString: database.url, localProxy });
    const hot = createUpstashHotTier({ url, token, retry: false, timeoutMs: options.hotTimeoutMs ?? 2_000 });
    const durable = createNeonDurableTier({ connectionString: database.url, localProxy });
    const { archive, archiveDir } = await openArchive(options);
    return {
      hot,
      durable,
      ...(archive && { archive }),
      env: productionEnv(url, token, database.url, localProxy),
      withHotTierDown() {
        throw new Error('withHotTierDown needs the bridges in process');
      },
      async close() {
        await Promise.allSettled([hot.close(), durable.close(), archive?.close()]);
        await bridges.close();
        await database.drop();
        if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await bridges.close();
    await database.drop();
    throw error;
  }
}
