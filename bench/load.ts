/**
 * Load: 200 concurrent agents for LOAD_SECONDS (default 60) through the state-api HTTP function, on the
 * machine's real Redis and Postgres reached as production reaches them (@upstash/redis → Upstash bridge,
 * Neon driver → Neon proxy), each tier behind its breaker, a local-folder fallback. Prints throughput, errors
 * by status, save and load latencies, the event-loop delay of this process, and — measured in the same run,
 * under the same load — the p50 of a raw @upstash/redis SET as the baseline.
 *
 * The bridges (stand-ins for Upstash and Neon, remote services in production) run in a child process; the
 * agents and the HTTP function share this one, whose event-loop delay is printed. On a 2-core machine that also
 * runs Redis and Postgres, everything competes for the same two cores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from '@upstash/redis';
import { silentLogger } from '../lib/observability/logger.ts';
import { type Breakers, withBreaker } from '../lib/runtime/resilient-tiers.ts';
import { createLocalFolderFallback } from '../lib/tiers/fallback/local-folder.ts';
import { agentState, Ledger, runAgents } from '../test/support/chaos/agents.ts';
import { createRng } from '../test/support/chaos/rng.ts';
import { createTenantWithKey, serveStateApi } from '../test/support/chaos/serve.ts';
import { startRealEngines } from '../test/support/real-engines.ts';
import { percentile } from './stats.ts';

export interface LoadOptions {
  readonly agents?: number;
  readonly seconds?: number;
  /** Pause between two steps of an agent, ms. */
  readonly thinkMs?: readonly [number, number];
  /** An agent reads its state back before every Nth save. */
  readonly loadEvery?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const ms = (value: number) => `${value.toFixed(2)} ms`;

function summary(times: number[]): { p50: number; p99: number; n: number } {
  const sorted = times.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

export async function benchLoad(options: LoadOptions = {}): Promise<void> {
  const agentCount = options.agents ?? 200;
  const seconds = options.seconds ?? 60;
  const thinkMs = options.thinkMs ?? [5, 25];
  const loadEvery = options.loadEvery ?? 4;
  const engines = await startRealEngines({ bridges: 'child' });
  const fallbackDir = await mkdtemp(join(tmpdir(), 'strata-load-spool-'));
  const runKeys: Array<{ tenantId: string; runId: string }> = [];
  let api: Awaited<ReturnType<typeof serveStateApi>> | undefined;
  try {
    const breakers: Breakers = {};
    const fallback = await createLocalFolderFallback({ dir: fallbackDir });
    const tiers = {
      hot: withBreaker('hot', engines.hot, breakers, silentLogger),
      durable: withBreaker('durable', engines.durable, breakers, silentLogger),
      fallback,
      breakers,
      close: async () => {},
    };
    api = await serveStateApi(
      tiers,
      { ...engines.env, STRATA_ARCHIVE: 'none', STRATA_FALLBACK_DIR: fallbackDir },
      silentLogger,
    );
    const tenants = await Promise.all([1, 2, 3, 4].map(() => createTenantWithKey(engines.durable, 'mid')));
    const agents = Array.from({ length: agentCount }, (_, i) => {
      const tenant = tenants[i % tenants.length]!;
      const runId = `load-${process.pid}-${i}`;
      runKeys.push({ tenantId: tenant.tenantId, runId });
      return { runId, apiKey: tenant.apiKey, agentName: `agent-${i % 7}` };
    });

    const saves: number[] = [];
    const byCheckpoint = { AUTO: [] as number[], CRITICAL: [] as number[] };
    const loads: number[] = [];
    const statuses = new Map<string, number>();
    const noAnswer = new Map<string, number>();
    // The first seconds are every run's first save at once (a Postgres lookup each): left out of the figures.
    const warmupMs = Math.min(5_000, seconds * 200);
    let measureFrom = Number.POSITIVE_INFINITY;
    const count = (what: string, status: number, error?: string) => {
      if (status === 200) return;
      if (error) noAnswer.set(error, (noAnswer.get(error) ?? 0) + 1);
      const label = `${what} ${status === 0 ? 'no answer' : status}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
    };

    // The baseline: one raw SET at a time, of a state the size the agents save, for the whole run.
    const redis = new Redis({
      url: engines.env.UPSTASH_REDIS_REST_URL!,
      token: engines.env.UPSTASH_REDIS_REST_TOKEN!,
      automaticDeserialization: false,
    });
    const rng = createRng(20261126);
    const payload = JSON.stringify(agentState(agents[0]!, 1, 1, rng));
    const rawKey = `bench:load:raw:${process.pid}`;
    const rawSets: number[] = [];

    const ledger = new Ledger();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let stopped = false;
    const started = performance.now();
    delay.enable();
    const baseline = (async () => {
      while (!stopped) {
        const sent = performance.now();
        await redis.set(rawKey, payload, { ex: 600 });
        rawSets.push(performance.now() - sent);
        await sleep(10);
      }
    })();
    const run = runAgents(agents, {
      baseUrl: api.baseUrl,
      ledger,
      thinkMs,
      loadEvery,
      stopped: () => stopped,
      hardDeadline: started + seconds * 1000 + 30_000,
      // Long enough that every request is answered: the figures are the service's latency, not client give-ups.
      requestTimeoutMs: 30_000,
      rngFor: (i) => rng.fork(i + 1),
      onSave: (event) => {
        if (event.sentAt < measureFrom) return;
        count('save', event.status, event.error);
        if (event.status !== 200) return;
        saves.push(event.answeredAt - event.sentAt);
        byCheckpoint[event.checkpoint].push(event.answeredAt - event.sentAt);
      },
      onLoad: (event) => {
        if (event.sentAt < measureFrom) return;
        count('load', event.status, event.error);
        if (event.status === 200) loads.push(event.answeredAt - event.sentAt);
      },
    });
    await sleep(warmupMs);
    measureFrom = performance.now();
    rawSets.length = 0;
    delay.reset();
    await sleep(seconds * 1000 - warmupMs);
    stopped = true;
    const stoppedAt = performance.now();
    await Promise.all([run, baseline]);
    const elapsed = (stoppedAt - measureFrom) / 1000;
    delay.disable();

    // Requests sent in the measured window (those answered after the stop included).
    const requests = saves.length + loads.length + [...statuses.values()].reduce((a, b) => a + b, 0);
    const save = summary(saves);
    const load = summary(loads);
    const raw = summary(rawSets);
    const loopMs = (ns: number) => ms(ns / 1e6);
    console.log(
      `\nLoad: ${agentCount} agents for ${seconds} s through the state-api HTTP function (machine's Redis and ` +
        `Postgres over the loopback bridges in a child process, breakers, local-folder fallback); think ${thinkMs[0]}–${thinkMs[1]} ms, ` +
        `a load before every ${loadEvery}th save; plan mid (every 3rd save CRITICAL)`,
    );
    console.log(
      `  throughput      ${(requests / elapsed).toFixed(0)} req/s (${(saves.length / elapsed).toFixed(0)} saves/s, ` +
        `${(loads.length / elapsed).toFixed(0)} loads/s answered 200), measured over ${elapsed.toFixed(1)} s after ` +
        `${(warmupMs / 1000).toFixed(0)} s of warm-up`,
    );
    // Each agent waits for its answer before its next step: in a closed loop like this, once the host is
    // saturated a request's latency is mostly its wait behind the other agents (Little's law), not service time.
    const littleMs = (agentCount / (requests / elapsed)) * 1000;
    console.log(
      `  closed loop     ${agentCount} agents ÷ ${(requests / elapsed).toFixed(0)} req/s ≈ ${littleMs.toFixed(0)} ms per ` +
        `step incl. think time: the latencies below are mostly queueing on a saturated host (service times: core bench)`,
    );
    console.log(
      `  acknowledged    ${ledger.acks.length} saves over the whole run: hot ${ledger.count('hot')}, durable ${ledger.count('durable')}, ` +
        `spooled ${ledger.count('spooled')}`,
    );
    const errors = [...statuses].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${label}: ${n}`);
    console.log(`  errors          ${errors.length === 0 ? 'none' : errors.join(', ')}`);
    for (const [error, n] of [...noAnswer].sort((a, b) => b[1] - a[1]).slice(0, 3))
      console.log(`    no answer: ${n}× ${error}`);
    const auto = summary(byCheckpoint.AUTO);
    const critical = summary(byCheckpoint.CRITICAL);
    console.log(
      `  save            p50 ${ms(save.p50)}, p99 ${ms(save.p99)} (n=${save.n}; AUTO p50 ${ms(auto.p50)}, ` +
        `p99 ${ms(auto.p99)}; CRITICAL p50 ${ms(critical.p50)}, p99 ${ms(critical.p99)})`,
    );
    console.log(`  load            p50 ${ms(load.p50)}, p99 ${ms(load.p99)} (n=${load.n})`);
    console.log(
      `  raw SET         p50 ${ms(raw.p50)}, p99 ${ms(raw.p99)} (n=${raw.n}, @upstash/redis, same run, one at a ` +
        `time); save p50 / raw SET p50 = ${(save.p50 / raw.p50).toFixed(2)}x`,
    );
    console.log(
      `  event-loop delay p50 ${loopMs(delay.percentile(50))}, p99 ${loopMs(delay.percentile(99))}, ` +
        `max ${loopMs(delay.max)}`,
    );
    await redis.del(rawKey).catch(() => {});
  } finally {
    await api?.close();
    // The runs were made in the machine's shared Redis: their heads, receipts and outbox entries go with them.
    for (const key of runKeys) await engines.hot.delete(key).catch(() => {});
    await engines.close();
    await rm(fallbackDir, { recursive: true, force: true });
  }
}
