/**
 * GOLDEN_RECOVERY_FLOW: 100 agents save over HTTP through random Redis and Postgres faults, then through an
 * outage of BOTH at once (every answer then must be `spooled` or a 503: no tier can hold anything else), then
 * resume after it as a restarted agent would, from the head the service answers. Afterwards the same
 * invariants as GOLDEN_HIGH_CONCURRENCY_FLOW. Replay a run with CHAOS_SEED=<seed>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, runAgents } from '../support/chaos/agents.ts';
import {
  describeFaults,
  type FaultKind,
  type FaultRecord,
  injectOutage,
  type Outage,
  runChaos,
} from '../support/chaos/chaos-driver.ts';
import { type FaultyEngines, startFaultyEngines } from '../support/chaos/faulty-engines.ts';
import {
  CHAOS_INSTANCES,
  chaosLogDir,
  createPopulation,
  criticalWhileOnlyRedisDown,
  expectZeroLoss,
  headsBehindAcks,
  type JobTotals,
  loadHeads,
  settleAndVerify,
  startScheduledJobs,
  summaryLine,
  writeChaosReport,
} from '../support/chaos/flow.ts';
import { createRng } from '../support/chaos/rng.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 20261127);
const AGENTS = 100;
/** Random single faults first, then the double outage, then the agents resume for a while. */
const CHAOS_MS = 7_000;
const OUTAGE_MS = 3_000;
const RESUME_MS = 6_000;
const THINK_MS = [200, 600] as const;

let engines: FaultyEngines | undefined;

beforeAll(async () => {
  const logDir = chaosLogDir('recovery');
  engines = await startFaultyEngines({ instances: CHAOS_INSTANCES, ...(logDir && { logDir }) });
}, 60_000);
afterAll(async () => {
  await engines?.close();
}, 60_000);

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

describe('GOLDEN_RECOVERY_FLOW', () => {
  it(`survives Redis and Postgres down together, and agents resume from their heads (seed ${SEED})`, async () => {
    const e = engines!;
    const rng = createRng(SEED);
    const population = await createPopulation(e, { count: AGENTS, tenants: 4, prefix: `rc-${SEED}` });
    const ledger = new Ledger();
    const started = performance.now();
    const faults: FaultRecord[] = [];
    let jobs: JobTotals = { passes: 0, replayed: 0, outboxCommitted: 0 };
    let outage: Outage | undefined;
    let behindOnResume: string[] = [];
    let stopped = false;
    const stopJobs = startScheduledJobs(e, 4_000);
    const ctx = {
      baseUrl: e.service,
      ledger,
      thinkMs: THINK_MS,
      stopped: () => stopped,
      hardDeadline: started + CHAOS_MS + OUTAGE_MS + RESUME_MS + 20_000,
    };

    try {
      // Phase 1: the agents run through random single (and sometimes overlapping) faults.
      const firstRun = runAgents(population.agents, { ...ctx, rngFor: (i) => rng.fork(i + 1) });
      try {
        faults.push(
          ...(await runChaos(e, rng.fork(0), {
            maxFaults: 6,
            until: started + CHAOS_MS - 1_500,
            gapMs: [200, 800],
            holdMs: [300, 1_500],
            kinds: ['redis-kill', 'redis-cut', 'pg-stop', 'pg-kill9', 'pg-cut', 'instance-kill'],
          })),
        );
        await sleepUntil(started + CHAOS_MS);
        // Phase 2: both down at once. The agents keep saving into it; they are stopped (as if their
        // processes died) just before the servers come back.
        const redisFault = rng.pick<FaultKind>(['redis-kill', 'redis-cut']);
        const pgFault = rng.pick<FaultKind>(['pg-stop', 'pg-kill9', 'pg-cut']);
        outage = await injectOutage(e, [redisFault, pgFault], OUTAGE_MS, () => {
          stopped = true;
        });
        faults.push(...outage.records);
      } finally {
        stopped = true;
        await firstRun;
      }

      // Phase 3: each agent starts again from the head the service answers now, and goes on saving.
      const answeredBy = new Map<string, string>();
      const heads = await loadHeads(e.service, population, answeredBy);
      behindOnResume = headsBehindAcks(ledger, heads, answeredBy);
      stopped = false;
      const resumedAt = performance.now();
      const secondRun = runAgents(
        population.agents,
        { ...ctx, session: 'b', rngFor: (i) => rng.fork(1_000 + i) },
        heads,
      );
      await sleepUntil(resumedAt + RESUME_MS);
      stopped = true;
      await secondRun;
    } finally {
      stopped = true;
      jobs = await stopJobs();
    }

    const settled = await settleAndVerify(e, ledger, population);
    // A resume behind an ack is explained by the run's trail.
    const behindRuns = behindOnResume.map((line) => line.split(':')[0]!);
    writeChaosReport('recovery', ledger, faults, settled, started, behindRuns);
    const down = outage!;
    // Answered while both were down (sent after both faults were in place, answered before either came back).
    const duringOutage = ledger.acks.filter((a) => a.sentAt >= down.downFrom && a.answeredAt <= down.downTo);
    const notSpooled = duringOutage.filter((a) => a.durability !== 'spooled');
    const unavailable = ledger.failures.filter(
      (f) => f.sentAt >= down.downFrom && f.answeredAt <= down.downTo && f.status === 503,
    ).length;
    const conflicted = ledger.conflictTimes.filter((t) => t >= down.downFrom && t <= down.downTo).length;
    const redisOnly = criticalWhileOnlyRedisDown(ledger, faults);
    console.log(
      summaryLine(
        'GOLDEN_RECOVERY_FLOW',
        ledger,
        faults,
        settled,
        jobs,
        `; both down ${Math.round(down.downTo - down.downFrom)} ms (${describeFaults(down.records)}): ` +
          `${duringOutage.length} spooled, ${unavailable} 503s, ${conflicted} 409s; resumed behind an ack ${behindOnResume.length}; ` +
          `CRITICAL while only Redis down: ${redisOnly.acked} acked, ${redisOnly.failed5xx.length} 5xx; ` +
          `retries refused ${ledger.retriesRefused.length}; seed ${SEED}, ${describeFaults(faults)}; ` +
          `neon-proxy errors contained ${e.infraErrors.length}; ${CHAOS_INSTANCES} state-api instances`,
      ),
    );

    expect(
      notSpooled.map((a) => `${a.runId} v${a.version} ${a.durability}`),
      'while both were down only spooled saves may be acknowledged',
    ).toEqual([]);
    expect(duringOutage.length, 'the double outage exercised the spool').toBeGreaterThan(0);
    expect(behindOnResume, 'a resumed agent saw a head older than a save acknowledged to it').toEqual([]);
    expectZeroLoss(e, ledger, redisOnly, settled);
  }, 120_000);
});
