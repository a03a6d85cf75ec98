/**
 * Strata as the workload sees it: the state-api function in a child process, on the machine's Redis and Postgres
 * reached as production reaches them (@upstash/redis → Upstash bridge, Neon driver → Neon proxy, both bridges in
 * another child process), an enterprise tenant, every step a CRITICAL patch save over HTTP. Bytes are read with
 * SQL from its scratch database and with MEMORY USAGE from Redis; nothing else looks inside.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { startBridgesProcess } from '../../test/support/bridges-process.ts';
import { createScratchDatabase } from '../../test/support/scratch-database.ts';
import type { Step, WorkloadRun } from './generate.ts';
import { pgBytes, quietPool } from './pg-bytes.ts';
import { processCpuMs } from './proc-cpu.ts';
import { historyStates } from './strata-history.ts';
import { createStrataHttp, type SaveBody } from './strata-http.ts';
import { startStrataProcess } from './strata-process.ts';
import { SystemFailure, type WorkloadSystem } from './system.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function openStrata(): Promise<WorkloadSystem> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const bridges = await startBridgesProcess();
    cleanup.push(() => bridges.close());
    const database = await createScratchDatabase('strata_bench_wl');
    cleanup.push(() => database.drop());
    await migrateNeon({ connectionString: database.url, localProxy: bridges.localProxy });
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-wl-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const child = await startStrataProcess({
      UPSTASH_REDIS_REST_URL: bridges.upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: bridges.upstashToken,
      DATABASE_URL: database.url,
      NEON_LOCAL_PROXY: bridges.localProxy,
      STRATA_ARCHIVE: 'none',
      STRATA_DATA_DIR: dataDir,
      STRATA_FALLBACK_DIR: join(dataDir, 'fallback'),
      STRATA_LOG_LEVEL: 'warn',
    });
    cleanup.push(() => child.close());
    const sizes = quietPool(database.url, 1);
    cleanup.push(() => sizes.end());
    const redis = createClient({ url: REDIS_URL, RESP: 2 });
    redis.on('error', () => {});
    await redis.connect();
    cleanup.push(() => redis.quit());
    // The runs live in the machine's shared Redis: their keys go when the bench ends (cleanup runs last first).
    const pattern = `strata:{${encodeURIComponent(child.tenantId)}:*`;
    cleanup.push(async () => {
      for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
        if (keys.length > 0) await redis.del(keys);
      }
    });

    const http = createStrataHttp(child.baseUrl, child.apiKey);
    const versions = new Map<string, number>();
    return {
      name: 'Strata',
      async write(run: WorkloadRun, step: Step) {
        const base = versions.get(run.runId) ?? 0;
        const body: SaveBody =
          base === 0
            ? { checkpoint: 'CRITICAL', expectedVersion: 0, state: step.state }
            : { checkpoint: 'CRITICAL', baseVersion: base, patch: step.patch };
        const answer = await http.save(run.runId, body);
        // An enterprise CRITICAL save is committed in Postgres before the answer; anything else is a failover
        // path, not the workload being measured.
        if (answer.version !== base + 1 || answer.durability !== 'durable') {
          throw new SystemFailure(
            `Strata: step ${step.step} of ${run.runId} answered version ${answer.version} ` +
              `(expected ${base + 1}), durability ${answer.durability}`,
          );
        }
        versions.set(run.runId, answer.version);
      },
      async latest(runId) {
        return (await http.load(runId)).state;
      },
      async history(runId, n) {
        return (await historyStates(http, runId, n)).map((loaded) => loaded.state);
      },
      async bytes() {
        let hotBytes = 0;
        for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
          for (const key of keys) hotBytes += (await redis.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
        }
        return { ...(await pgBytes(sizes)), hotBytes };
      },
      async probe() {
        const { cpuMs, logged, examples } = await child.probe();
        return { functionMs: cpuMs, bridgesMs: processCpuMs(bridges.pid), logged, examples };
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
