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
import { keepAliveRequester } from '../../lib/tiers/hot/upstash-requester.ts';
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
  const clients = await openClients(options, { url, token, databaseUrl: database.url, localProxy });

  return {
    ...clients.tiers,
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
      await clients.close();
      await bridge?.close();
      await database.close();
    },
  };
}

interface Endpoints {
  readonly url: string;
  readonly token: string;
  readonly databaseUrl: string;
  readonly localProxy: string;
}

/** The production clients over the given bridges (and chDB when asked), and the variables that reach them. */
async function openClients(options: RealEnginesOptions, at: Endpoints) {
  const { url, token, databaseUrl, localProxy } = at;
  // retry: false — a failed call must surface at once so failover can be observed, not after 5 retries.
  const hot = createUpstashHotTier({
    url,
    token,
    retry: false,
    timeoutMs: options.hotTimeoutMs ?? 2_000,
    transport: keepAliveRequester,
  });
  const durable = createNeonDurableTier({ connectionString: databaseUrl, localProxy });
  const archiveDir = options.archive ? await mkdtemp(join(tmpdir(), 'strata-chdb-')) : null;
  let archive: ArchiveTier | undefined;
  if (archiveDir) {
    const chdb = { url: 'http://chdb.local', fetch: createChdbFetch({ dataDir: archiveDir }) };
    await migrateClickHouseArchive(chdb);
    archive = createClickHouseArchiveTier(chdb);
  }
  return {
    tiers: {
      hot,
      durable,
      ...(archive && { archive }),
      env: {
        UPSTASH_REDIS_REST_URL: url,
        UPSTASH_REDIS_REST_TOKEN: token,
        DATABASE_URL: databaseUrl,
        NEON_LOCAL_PROXY: localProxy,
      },
    },
    async close() {
      await Promise.allSettled([hot.close(), durable.close(), archive?.close()]);
      if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
    },
  };
}

async function startWithChildBridges(options: RealEnginesOptions): Promise<RealEngines> {
  const bridges = await startBridgesProcess();
  const database = await createScratchDatabase('strata_bench');
  try {
    const { localProxy, upstashUrl: url, upstashToken: token } = bridges;
    await migrateNeon({ connectionString: database.url, localProxy });
    const clients = await openClients(options, { url, token, databaseUrl: database.url, localProxy });
    return {
      ...clients.tiers,
      withHotTierDown() {
        throw new Error('withHotTierDown needs the bridges in process');
      },
      async close() {
        await clients.close();
        await bridges.close();
        await database.drop();
      },
    };
  } catch (error) {
    await bridges.close();
    await database.drop();
    throw error;
  }
}
