/**
 * Strata on engines we are allowed to break: like `startRealEngines`, but on a throwaway redis-server and a
 * throwaway Postgres cluster, each behind a fault proxy, so a chaos test can kill, stop, cut and restore them
 * while the state API keeps serving over a real listening HTTP server.
 *
 *   redis-server ← fault proxy ← Upstash bridge ← @upstash/redis (retry off, short timeout) ← breaker
 *   postgres     ← fault proxy ← Neon proxy    ← Neon driver (HTTP mode, short timeout)   ← breaker
 *   local-folder fallback in a temp dir
 *   state-api: functions-framework server listening on 127.0.0.1, driven with fetch (keep-alive) — with
 *   `instances: N`, N separate processes running the deployed function (instances.ts), every one on the same
 *   bridges and the same spool folder; otherwise one server in this process (bench/failover.ts)
 *
 * The scheduled jobs (drainSpool, drainOutbox, repair) run in this process on tier clients of its own: like
 * separate Cloud Functions, they share nothing with a state-api instance but the tiers.
 * Never points at the machine's shared Redis (6379) or Postgres (5432): every server here is our own.
 */
import { create as createDomain } from 'node:domain';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NeonProxy, type NeonProxyOptions, startNeonProxy } from '../../../infra/neon-proxy/server.ts';
import { startUpstashBridge } from '../../../infra/upstash-bridge/index.ts';
import { type ConsistencyReport, checkConsistency } from '../../../lib/lifecycle/consistency.ts';
import { type DrainReport, drainFallback } from '../../../lib/lifecycle/drain-fallback.ts';
import { drainOutbox, type OutboxReport } from '../../../lib/lifecycle/drain-outbox.ts';
import { type Logger, silentLogger } from '../../../lib/observability/logger.ts';
import { type Breakers, withBreaker } from '../../../lib/runtime/resilient-tiers.ts';
import type { Tiers } from '../../../lib/runtime/tiers.ts';
import { createNeonDurableTier, migrateNeon } from '../../../lib/tiers/durable/neon.ts';
import type { PlanName } from '../../../lib/tiers/durable/port.ts';
import { createLocalFolderFallback } from '../../../lib/tiers/fallback/local-folder.ts';
import type { FallbackStore } from '../../../lib/tiers/fallback/port.ts';
import type { HotTier } from '../../../lib/tiers/hot/port.ts';
import { createUpstashHotTier } from '../../../lib/tiers/hot/upstash.ts';
import { keepAliveRequester } from '../../../lib/tiers/hot/upstash-requester.ts';
import {
  type FaultProxy,
  type PostgresCluster,
  type RedisServer,
  startFaultProxy,
  startPostgresCluster,
  startRedisServer,
} from '../faults/index.ts';
import { sleep, waitFor } from '../faults/process.ts';
import type { Target } from './agents.ts';
import { type StateApiFleet, startStateApiFleet } from './instances.ts';
import { createTenantWithKey, serveStateApi } from './serve.ts';

const LOOPBACK = '127.0.0.1';

export interface FaultyEnginesOptions {
  /** Per-call deadline of the hot tier. @default 300 */
  readonly hotTimeoutMs?: number;
  /** Per-call deadline of the durable tier. @default 1000 */
  readonly durableTimeoutMs?: number;
  /** How long an open breaker skips its tier before one trial call. @default 400 */
  readonly breakerOpenMs?: number;
  /** Logs of the service (breaker changes, failovers). @default silent */
  readonly log?: Logger;
  /**
   * State-api instances, each a separate process running the deployed function; 0 serves one in this process
   * (its breakers are then `tiers.breakers`). @default 0
   */
  readonly instances?: number;
  /** Where the instances write their logs (kept); a temp dir removed at close by default. */
  readonly logDir?: string;
}

/** The fault switches. Each resolves once the fault is in place (or the server is back and answering). */
export interface FaultControls {
  /** SIGKILL to redis-server: everything it held is gone. */
  killRedis(): Promise<void>;
  /** An empty redis-server on the same port (after `killRedis`, or kills the running one first). */
  restartRedis(): Promise<void>;
  /** The proxy in front of Redis refuses and drops connections; Redis keeps its data. */
  cutRedis(): void;
  restoreRedis(): Promise<void>;
  /** `pg_ctl stop -m immediate`: a crash from Postgres' point of view (WAL recovery on start). */
  stopPostgresImmediate(): Promise<void>;
  /** SIGKILL to the postmaster alone. */
  kill9Postgres(): Promise<void>;
  /** Starts the same data dir on the same port; waits until it accepts connections. */
  startPostgres(): Promise<void>;
  cutPostgres(): void;
  restorePostgres(): Promise<void>;
  /**
   * SIGKILL to one state-api instance (never the last one serving, unless there is only one); resolves with its
   * slot, if one was killed.
   */
  killInstance(): Promise<number | undefined>;
  /** A fresh instance in that slot (new process, cold start); resolves once it listens. */
  restartInstance(slot: number): Promise<void>;
}

export interface FaultyEngines {
  /** What agents drive: the instances (a request each picks a serving one), or the one in-process server. */
  readonly service: Target;
  /** The separate state-api processes (with `instances`). */
  readonly fleet?: StateApiFleet;
  /** `http://127.0.0.1:<port>` of the in-process state API, or of the first instance as started. */
  readonly baseUrl: string;
  /** The tiers as the service sees them: hot and durable behind their breakers. */
  readonly tiers: Required<Pick<Tiers, 'hot' | 'durable' | 'fallback' | 'breakers'>>;
  /** The same tiers without breakers, for checks after the chaos (a breaker's memory must not skew them). */
  readonly raw: {
    readonly hot: HotTier;
    readonly durable: ReturnType<typeof createNeonDurableTier>;
    readonly fallback: FallbackStore;
  };
  readonly faults: FaultControls;
  /** Errors the local Neon proxy raised outside any request (see startContainedNeonProxy). */
  readonly infraErrors: readonly string[];
  createTenant(plan: PlanName): Promise<{ tenantId: string; apiKey: string }>;
  /** Every proxy restored, every server and instance running, both tiers answering (bounded wait). */
  heal(): Promise<void>;
  /** Runs the drain until the spool is empty (bounded in rounds and time), or once with `untilEmpty: false`. */
  drainSpool(options?: { timeoutMs?: number; untilEmpty?: boolean }): Promise<DrainReport[]>;
  /** One pass of the `drain-outbox` job: hot heads the plan keeps durable are committed. */
  drainOutbox(options?: { graceMs?: number }): Promise<OutboxReport>;
  /** `checkConsistency` with repairs, over every run. */
  repair(): Promise<ConsistencyReport>;
  close(): Promise<void>;
}

/** One teardown step that cannot hang the others: bounded, and its failure only reported. */
async function bounded(what: string, step: () => Promise<unknown> | unknown, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`teardown: ${what} took longer than ${ms} ms; moving on`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([Promise.resolve().then(step), timeout]);
  } catch (error) {
    console.warn(`teardown: ${what} failed: ${String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Neon proxy (our stand-in for Neon's edge) inside a domain of its own, so that an error it raises outside
 * any request (an emitter of its own with no listener) is recorded in `infraErrors` instead of killing the test
 * process. The flows assert that there are none: the one seen (a checked-out pg client's 'error' when Postgres
 * died mid-batch) is fixed in infra/neon-proxy/sql-endpoint.ts.
 */
async function startContainedNeonProxy(
  options: NeonProxyOptions,
  onError: (error: Error) => void,
): Promise<NeonProxy> {
  const domain = createDomain();
  domain.on('error', onError);
  return domain.run(() => startNeonProxy(options));
}

export async function startFaultyEngines(options: FaultyEnginesOptions = {}): Promise<FaultyEngines> {
  const log = options.log ?? silentLogger;
  const infraErrors: string[] = [];
  // Everything started so far, stopped newest first whatever happens next (even a failed start).
  const teardown: Array<[string, () => Promise<unknown> | unknown]> = [];
  const closeAll = async () => {
    for (const [what, step] of teardown.splice(0).reverse()) await bounded(what, step);
  };

  try {
    const fallbackDir = await mkdtemp(join(tmpdir(), 'strata-chaos-spool-'));
    teardown.push(['fallback dir', () => rm(fallbackDir, { recursive: true, force: true })]);

    const redis: RedisServer = await startRedisServer();
    teardown.push(['redis-server', () => redis.stop()]);
    const redisNet: FaultProxy = await startFaultProxy({ target: { host: LOOPBACK, port: redis.port } });
    teardown.push(['redis fault proxy', () => redisNet.close()]);
    const bridge = await startUpstashBridge({ redisUrl: `redis://${LOOPBACK}:${redisNet.port}` });
    teardown.push(['upstash bridge', () => bridge.close()]);

    const pg: PostgresCluster = await startPostgresCluster();
    teardown.push(['postgres cluster', () => pg.destroy()]);
    const pgNet: FaultProxy = await startFaultProxy({ target: { host: LOOPBACK, port: pg.port } });
    teardown.push(['postgres fault proxy', () => pgNet.close()]);
    const neonProxy = await startContainedNeonProxy(
      { allowedTargets: [`${LOOPBACK}:${pgNet.port}`] },
      (error) => {
        if (infraErrors.length < 100) infraErrors.push(describeContained(error));
      },
    );
    teardown.push(['neon proxy', () => neonProxy.close()]);
    const localProxy = `${LOOPBACK}:${neonProxy.port}`;
    const connectionString = `postgres://postgres@${LOOPBACK}:${pgNet.port}/postgres`;
    await migrateNeon({ connectionString, localProxy });

    const hotTimeoutMs = options.hotTimeoutMs ?? 300;
    const durableTimeoutMs = options.durableTimeoutMs ?? 1000;
    // retry: false — a failure must surface at once so the breaker and the failover see it, not after 5 retries.
    const rawHot = createUpstashHotTier({
      url: bridge.url,
      token: bridge.token,
      retry: false,
      timeoutMs: hotTimeoutMs,
      transport: keepAliveRequester,
    });
    teardown.push(['hot tier', () => rawHot.close()]);
    const rawDurable = createNeonDurableTier({ connectionString, localProxy, timeoutMs: durableTimeoutMs });
    teardown.push(['durable tier', () => rawDurable.close()]);
    const fallback = await createLocalFolderFallback({ dir: fallbackDir });
    teardown.push(['fallback', () => fallback.close()]);

    const breakers: Breakers = {};
    const settings = { openMs: options.breakerOpenMs ?? 400 };
    const hot = withBreaker('hot', rawHot, breakers, log, settings);
    const durable = withBreaker('durable', rawDurable, breakers, log, settings);
    const tiers = { hot, durable, fallback, breakers, close: async () => {} };

    const env = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      DATABASE_URL: connectionString,
      NEON_LOCAL_PROXY: localProxy,
      STRATA_HOT_TIMEOUT_MS: String(hotTimeoutMs),
      STRATA_DURABLE_TIMEOUT_MS: String(durableTimeoutMs),
      STRATA_ARCHIVE: 'none',
      STRATA_FALLBACK: 'folder',
      STRATA_FALLBACK_DIR: fallbackDir,
    };
    let fleet: StateApiFleet | undefined;
    let baseUrl: string;
    if (options.instances) {
      const logDir = options.logDir ?? (await mkdtemp(join(tmpdir(), 'strata-chaos-instances-')));
      if (!options.logDir)
        teardown.push(['instance logs', () => rm(logDir, { recursive: true, force: true })]);
      // As deployed: warnings (breakers, failovers) in each instance's log, no metrics endpoint.
      const deployed = { ...env, STRATA_METRICS: 'off', STRATA_LOG_LEVEL: 'warn' };
      const started = await startStateApiFleet({ count: options.instances, env: deployed, logDir });
      fleet = started;
      teardown.push(['state-api instances', () => started.close()]);
      baseUrl = started.live()[0]!.url;
    } else {
      const api = await serveStateApi(tiers, env, log);
      teardown.push(['http server', () => api.close()]);
      baseUrl = api.baseUrl;
    }

    // What we broke, so heal() knows what to undo.
    const redisState = { killed: false, cut: false };
    const pgState = { stopped: false, cut: false };
    const faults: FaultControls = {
      async killRedis() {
        redisState.killed = true;
        await redis.kill('SIGKILL');
      },
      async restartRedis() {
        await redis.restart();
        redisState.killed = false;
      },
      cutRedis() {
        redisState.cut = true;
        redisNet.cut();
      },
      async restoreRedis() {
        await redisNet.restore();
        redisState.cut = false;
      },
      async stopPostgresImmediate() {
        pgState.stopped = true;
        await pg.stopImmediate();
      },
      async kill9Postgres() {
        pgState.stopped = true;
        await pg.kill9();
      },
      async startPostgres() {
        await pg.start();
        pgState.stopped = false;
      },
      cutPostgres() {
        pgState.cut = true;
        pgNet.cut();
      },
      async restorePostgres() {
        await pgNet.restore();
        pgState.cut = false;
      },
      async killInstance() {
        if (!fleet) throw new Error('no state-api instance to kill: start the engines with { instances: N }');
        return fleet.kill();
      },
      async restartInstance(slot) {
        if (!fleet)
          throw new Error('no state-api instance to restart: start the engines with { instances: N }');
        await fleet.restart(slot);
      },
    };

    const answering = async () => {
      const [h, d] = await Promise.allSettled([rawHot.ping(), rawDurable.ping()]);
      return h.status === 'fulfilled' && d.status === 'fulfilled';
    };

    return {
      service: fleet ?? baseUrl,
      ...(fleet && { fleet }),
      baseUrl,
      tiers,
      raw: { hot: rawHot, durable: rawDurable, fallback },
      faults,
      infraErrors,
      createTenant: (plan) => createTenantWithKey(rawDurable, plan),
      async heal() {
        if (redisState.cut) await faults.restoreRedis();
        if (redisState.killed) await faults.restartRedis();
        if (pgState.cut) await faults.restorePostgres();
        if (pgState.stopped) await faults.startPostgres();
        await fleet?.restartAll();
        // The bridge reconnects every 50 ms at most, the Neon proxy's pool on the next query.
        await waitFor('hot and durable tiers answering after heal', answering, {
          timeoutMs: 20_000,
          intervalMs: 100,
        });
        // Each instance finds them again on its own (its breakers let a trial call through after they open).
        if (fleet) {
          const serving = fleet;
          await waitFor(
            'every state-api instance sees hot and durable up after heal',
            async () =>
              (await serving.health()).every(
                (h) => h.tiers?.hot?.status === 'up' && h.tiers.durable?.status === 'up',
              ),
            { timeoutMs: 20_000, intervalMs: 100 },
          );
        }
      },
      async drainSpool({ timeoutMs = 60_000, untilEmpty = true } = {}) {
        const reports: DrainReport[] = [];
        const deadline = Date.now() + timeoutMs;
        for (let round = 0; round < 100 && Date.now() < deadline; round++) {
          const report = await drainFallback({ durable: rawDurable, hot: rawHot, fallback, log });
          reports.push(report);
          if (report.remaining === 0 || !untilEmpty) return reports;
          // Conflicts stay in the spool for an operator: draining again cannot empty it.
          if (!report.stoppedEarly && report.replayed === 0) return reports;
          await sleep(200);
        }
        return reports;
      },
      drainOutbox: ({ graceMs = 0 } = {}) =>
        drainOutbox({ hot: rawHot, durable: rawDurable, fallback, log, now: Date.now }, { graceMs }),
      repair: () =>
        checkConsistency(
          { hot: rawHot, durable: rawDurable, runScan: rawDurable.runScan, fallback, log },
          { repair: true, concurrency: 16 },
        ),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The message, and which emitter raised it (a domain records it): enough to tell a pg client from a socket. */
function describeContained(error: Error & { domainEmitter?: unknown }): string {
  const emitter = error.domainEmitter;
  const name = emitter && typeof emitter === 'object' ? emitter.constructor.name : 'none';
  return `${error.message} (emitter: ${name})`;
}
