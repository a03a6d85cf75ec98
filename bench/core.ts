/**
 * Issue 2 figures: a hot save, a CRITICAL save and a load through the persistence service, each beside the
 * raw-client baseline for the same payload over the same bridges, in the same run.
 * Every baseline runs over the transport the service uses in Node (keep-alive requests, lib/http/keep-alive-fetch.ts).
 *   hot save      ↔ raw @upstash/redis SET
 *   CRITICAL save ↔ raw SET + raw Neon-driver INSERT (what the contract needs: one Redis write, one Postgres commit)
 *   load (hot)    ↔ raw @upstash/redis GET
 *   load (durable, hot copy gone) ↔ raw GET that misses + raw Neon-driver SELECT
 */
import { randomUUID } from 'node:crypto';
import { neon } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis';
import { canonicalJson } from '../lib/model/canonical.ts';
import { silentLogger } from '../lib/observability/logger.ts';
import { type Caller, createPersistenceService } from '../lib/service/index.ts';
import { RedisOverTransport } from '../lib/tiers/hot/upstash.ts';
import { keepAliveRequester } from '../lib/tiers/hot/upstash-requester.ts';
import { startRealEngines } from '../test/support/real-engines.ts';
import { profiled } from './cpu-profile.ts';
import { agentState } from './payloads.ts';
import { type Comparison, printComparisons, sampleInterleaved } from './stats.ts';

export async function benchCore(options: { iterations: number }): Promise<void> {
  const engines = await startRealEngines({ hotTimeoutMs: 5000 });
  try {
    const newService = () =>
      createPersistenceService({
        hot: engines.hot,
        durable: engines.durable,
        log: silentLogger,
        now: Date.now,
        settings: {
          limits: { maxStateBytes: 8 * 1024 * 1024, maxDepth: 64 },
          compressAboveBytes: 8192,
          ephemeralPaths: [],
          idempotencyTtlSeconds: 86_400,
        },
      });
    const service = newService();
    const tenant = await engines.durable.createTenant({
      id: `bench-${randomUUID()}`,
      name: 'bench',
      plan: 'mid',
    });
    const caller: Caller = { tenant };
    // The baselines use the transport the service uses in Node (the keep-alive requester; the Neon driver's
    // fetchFunction is process-wide, so the raw `neon()` client below has it too): the ratio is the service's own
    // cost. The Upstash client as shipped (global fetch) is measured beside it, for the record.
    const connection = {
      url: engines.env.UPSTASH_REDIS_REST_URL!,
      token: engines.env.UPSTASH_REDIS_REST_TOKEN!,
    };
    const redis = new RedisOverTransport(
      keepAliveRequester({ ...connection, timeoutMs: 5000, retry: false }),
    );
    const shippedRedis = new Redis({ ...connection, automaticDeserialization: false });
    const sql = neon(engines.env.DATABASE_URL!);
    await sql`CREATE TABLE IF NOT EXISTS bench_raw (id text, version int, payload text, PRIMARY KEY (id, version))`;

    for (const size of [1024, 64 * 1024]) {
      const n = size > 4096 ? Math.max(50, Math.floor(options.iterations / 2)) : options.iterations;
      const state = agentState(size);
      const payload = canonicalJson(state);
      const label = `${Math.round(size / 1024)} KB`;

      const rawKey = `bench:raw:${randomUUID()}`;
      const rawId = randomUUID();
      let rawVersion = 0;
      let rawBoth = 100_000;
      const missingKey = `bench:missing:${randomUUID()}`;
      const hotRun = `bench-hot-${randomUUID()}`;
      let hotVersion = 0;
      const criticalRun = `bench-critical-${randomUUID()}`;
      let criticalVersion = 0;
      const criticalKey = { tenantId: tenant.id, runId: criticalRun };

      /**
       * One load through the failover: the hot copy removed, the load timed and checked to come from Postgres,
       * then (untimed) the promotion it starts waited for, so it cannot land after the next sample's delete
       * and serve that one from Redis.
       */
      const failOver = async (through: typeof service): Promise<number> => {
        await engines.hot.delete(criticalKey);
        const started = performance.now();
        const loaded = await through.load(caller, { runId: criticalRun });
        const elapsed = performance.now() - started;
        if (loaded.servedBy !== 'durable') throw new Error(`failover load served by ${loaded.servedBy}`);
        // Polled without sleeping: an idle pause here would slow whichever sample comes next.
        for (let poll = 0; (await engines.hot.load(criticalKey))?.version !== loaded.version; poll++) {
          if (poll === 5000) throw new Error('the promotion after a failover load did not land');
        }
        return elapsed;
      };

      // All interleaved (stats.ts): a slow spell of the machine weighs on baselines and service alike.
      const m = await profiled(`core-${Math.round(size / 1024)}kb`, () =>
        sampleInterleaved(n, {
          rawSet: { op: () => redis.set(rawKey, payload, { ex: 3600 }) },
          rawGet: { op: () => redis.get(rawKey) },
          shippedSet: { op: () => shippedRedis.set(rawKey, payload, { ex: 3600 }) },
          shippedGet: { op: () => shippedRedis.get(rawKey) },
          rawInsert: {
            op: () =>
              sql`INSERT INTO bench_raw (id, version, payload) VALUES (${rawId}, ${++rawVersion}, ${payload})`,
          },
          rawMissThenSelect: {
            op: async () => {
              await redis.get(missingKey);
              await sql`SELECT payload FROM bench_raw WHERE id = ${rawId} AND version = ${rawVersion}`;
            },
          },
          rawSetInsert: {
            op: async () => {
              await redis.set(rawKey, payload, { ex: 3600 });
              await sql`INSERT INTO bench_raw (id, version, payload) VALUES (${rawId}, ${++rawBoth}, ${payload})`;
            },
          },
          hotSave: {
            op: () =>
              service.save(caller, {
                runId: hotRun,
                request: {
                  checkpoint: 'AUTO',
                  state: { ...state, step: hotVersion + 1 },
                  expectedVersion: hotVersion++,
                },
              }),
          },
          load: { op: () => service.load(caller, { runId: hotRun }) },
          criticalSave: {
            op: () =>
              service.save(caller, {
                runId: criticalRun,
                request: {
                  checkpoint: 'CRITICAL',
                  state: { ...state, step: criticalVersion + 1 },
                  expectedVersion: criticalVersion++,
                },
              }),
          },
          // The hot copy is removed before each (timed) load, so the service must fail over to Postgres: the
          // figure is a hot miss plus the durable read. The instance that saved the head holds its state, so
          // Postgres only confirms its version and hash (read-path.ts); an instance that holds nothing of the
          // run (a fresh one each time) reads and rebuilds the head's chain.
          durableLoad: { selfTimed: true, op: () => failOver(service) },
          coldDurableLoad: { selfTimed: true, op: () => failOver(newService()) },
        }),
      );
      const {
        rawSet,
        rawGet,
        shippedSet,
        shippedGet,
        rawInsert,
        rawMissThenSelect,
        rawSetInsert,
        hotSave,
        load,
        criticalSave,
        durableLoad,
        coldDurableLoad,
      } = m;

      const rows: Comparison[] = [
        { name: `hot save (AUTO) ${label}`, measured: hotSave, baselineName: 'raw SET', baseline: rawSet },
        {
          name: `CRITICAL save ${label}`,
          measured: criticalSave,
          baselineName: 'raw SET + raw INSERT',
          baseline: rawSetInsert,
        },
        { name: `load from hot ${label}`, measured: load, baselineName: 'raw GET', baseline: rawGet },
        {
          name: `load failover→durable ${label}`,
          measured: durableLoad,
          baselineName: 'raw GET (miss) + raw SELECT',
          baseline: rawMissThenSelect,
        },
        {
          name: `  same, instance holds nothing`,
          measured: coldDurableLoad,
          baselineName: 'raw GET (miss) + raw SELECT',
          baseline: rawMissThenSelect,
        },
      ];
      printComparisons(
        `Persistence service vs raw clients, ${label} state, n=${n} each, one call at a time, interleaved (loopback bridges)`,
        rows,
      );
      console.log(
        `  raw INSERT alone: p50 ${rawInsert.p50.toFixed(2)} ms, p99 ${rawInsert.p99.toFixed(2)} ms; ` +
          `the Upstash client as shipped (global fetch): SET p50 ${shippedSet.p50.toFixed(2)} ms, ` +
          `GET p50 ${shippedGet.p50.toFixed(2)} ms`,
      );
    }
  } finally {
    await engines.close();
  }
}
