/**
 * Failover timings: under a steady load of ~25 agents on throwaway Redis and Postgres servers (the faulty
 * engines of the chaos tests), how long after a server is killed the next tier serves, and how long after it
 * is back its own tier serves again. Each transition is measured by a probe agent that works through it:
 *   Redis killed (kill -9)    → first load answered `servedBy: "durable"` (Postgres took over)
 *   Redis back (empty)        → first load answered `servedBy: "hot"`
 *   Postgres killed (kill -9) → first CRITICAL save answered `durability: "spooled"`
 *   Postgres back             → first CRITICAL save answered `durability: "durable"`
 * Times run from the kill being issued, and from the restarted server accepting connections; each counts only
 * answers to requests sent after that moment. The spec's target is < 5 s; the aim is < 1 s.
 *
 * "Back" is measured three ways, because the probe's own run carries a backlog: while Postgres was away its
 * CRITICAL saves were spooled (one every few ms), and a durable save of version N needs N-1 in Postgres first,
 * so the probe's first durable answer waits for its spooled versions to be replayed (the service replays up to
 * 16 per save, then answers 503 SpoolBacklog). The other two rows say when the tier itself serves again: its
 * breaker closed, and the first save of a run with nothing spooled answered by the tier (a new run per try).
 */
import { Ledger, type LoadEvent, runAgent, runAgents, type SaveEvent } from '../test/support/chaos/agents.ts';
import { startFaultyEngines } from '../test/support/chaos/faulty-engines.ts';
import { createRng } from '../test/support/chaos/rng.ts';
import { percentile } from './stats.ts';

interface Observed {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly durability?: string;
  readonly servedBy?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** ms from `from` to the answer of the first request sent at or after `from` that `matches`; NaN on timeout. */
async function firstAfter(
  events: readonly Observed[],
  from: number,
  matches: (event: Observed) => boolean,
  timeoutMs = 15_000,
): Promise<number> {
  for (let checked = 0; performance.now() - from < timeoutMs; ) {
    for (; checked < events.length; checked++) {
      const event = events[checked]!;
      if (event.sentAt >= from && matches(event)) return event.answeredAt - from;
    }
    await sleep(5);
  }
  return Number.NaN;
}

interface Transition {
  readonly name: string;
  readonly times: number[];
}

/**
 * Kill, hold the outage, restart: ms to the first failover answer, from the restart to the first recovered
 * one, and (with `reachable`) from the restart to the first successful direct call of the tier.
 */
async function cycle(
  outageMs: number,
  kill: () => Promise<void>,
  restart: () => Promise<void>,
  failedOver: (from: number) => Promise<number>,
  recovered: (from: number) => Promise<number>,
  reachable?: () => Promise<unknown>,
  serving?: Array<(from: number) => Promise<number>>,
): Promise<[number, number, number, ...number[]]> {
  const killedAt = performance.now();
  const failover = failedOver(killedAt);
  await kill();
  const failoverMs = await failover;
  await sleep(killedAt + outageMs - performance.now());
  await restart();
  const backAt = performance.now();
  const [recoveryMs, reachableMs, ...servingMs] = await Promise.all([
    recovered(backAt),
    reachable ? untilOk(reachable, backAt) : Number.NaN,
    ...(serving ?? []).map((until) => until(backAt)),
  ]);
  return [failoverMs, recoveryMs, reachableMs, ...servingMs];
}

/** ms from `from` until `breaker` reports closed (polled every 5 ms); NaN on timeout. */
async function untilClosed(
  state: () => string | undefined,
  from: number,
  timeoutMs = 15_000,
): Promise<number> {
  while (performance.now() - from < timeoutMs) {
    if (state() === 'closed') return performance.now() - from;
    await sleep(5);
  }
  return Number.NaN;
}

/**
 * ms from `from` to the answer of the first save of a NEW run (nothing spooled for it) that `accepted` takes:
 * one request at a time, each for a run of its own, so no backlog of an earlier try is replayed.
 */
async function untilFreshSave(
  baseUrl: string,
  apiKey: string,
  from: number,
  accepted: (body: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
): Promise<number> {
  for (let attempt = 0; performance.now() - from < timeoutMs; attempt++) {
    const runId = `fresh-${Math.round(from)}-${attempt}`;
    const answer = await fetch(`${baseUrl}/v1/runs/${runId}/state`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        checkpoint: 'CRITICAL',
        expectedVersion: 0,
        state: { agentName: 'fresh', status: 'running', step: 1, data: {} },
      }),
      signal: AbortSignal.timeout(5_000),
    }).then(
      async (res) => ({
        status: res.status,
        body: (await res.json().catch(() => ({}))) as Record<string, unknown>,
      }),
      () => ({ status: 0, body: {} }),
    );
    if (answer.status === 200 && accepted(answer.body)) return performance.now() - from;
    await sleep(10);
  }
  return Number.NaN;
}

/** ms from `from` until `call` first resolves (polled every 10 ms, bounded); NaN on timeout. */
async function untilOk(call: () => Promise<unknown>, from: number, timeoutMs = 15_000): Promise<number> {
  while (performance.now() - from < timeoutMs) {
    const ok = await call().then(
      () => true,
      () => false,
    );
    if (ok) return performance.now() - from;
    await sleep(10);
  }
  return Number.NaN;
}

export async function benchFailover(options: { repeats?: number; agents?: number } = {}): Promise<void> {
  const repeats = options.repeats ?? 3;
  // 25 agents offer ~120 req/s, about half of what this 2-core host serves (the load run): a failover is timed
  // under load, not behind a saturated queue.
  const agentCount = options.agents ?? 25;
  const engines = await startFaultyEngines();
  let stopped = false;
  const running: Array<Promise<unknown>> = [];
  try {
    const mid = await engines.createTenant('mid');
    // Every save of an enterprise run is durable, so once Redis is gone its head is in Postgres to be served.
    const enterprise = await engines.createTenant('enterprise');
    const rng = createRng(20261126);
    const hardDeadline = performance.now() + 10 * 60_000;
    const common = { baseUrl: engines.baseUrl, stopped: () => stopped, hardDeadline };

    const load = new Ledger();
    const loadStarted = performance.now();
    running.push(
      runAgents(
        Array.from({ length: agentCount }, (_, i) => ({
          runId: `load-${i}`,
          apiKey: mid.apiKey,
          agentName: `agent-${i % 5}`,
        })),
        { ...common, ledger: load, thinkMs: [100, 300], loadEvery: 4, rngFor: (i) => rng.fork(i + 1) },
      ),
    );

    const redisEvents: Observed[] = [];
    const pgEvents: Observed[] = [];
    const record = (into: Observed[]) => (event: SaveEvent | LoadEvent) => {
      if (event.status === 200) into.push(event);
    };
    // Probes: back to back, so a transition is seen within one request of happening.
    running.push(
      runAgent(
        { runId: 'probe-redis', apiKey: enterprise.apiKey, agentName: 'probe', criticalEvery: 1e9 },
        {
          ...common,
          ledger: new Ledger(),
          rng: rng.fork(1_000),
          thinkMs: [2, 5],
          loadEvery: 1,
          onLoad: record(redisEvents),
        },
      ),
      runAgent(
        { runId: 'probe-postgres', apiKey: mid.apiKey, agentName: 'probe', criticalEvery: 1 },
        { ...common, ledger: new Ledger(), rng: rng.fork(1_001), thinkMs: [2, 5], onSave: record(pgEvents) },
      ),
    );
    await sleep(2_000); // every agent past its first save, connections warm

    const transitions: Transition[] = [
      { name: 'Redis killed → first load served by Postgres', times: [] },
      { name: 'Redis back   → first load served by Redis', times: [] },
      { name: 'Postgres killed → first CRITICAL save spooled', times: [] },
      { name: 'Postgres back   → first CRITICAL save durable', times: [] },
      // Not Strata: the local Upstash bridge's Redis client reconnects (every 50 ms at most); Upstash itself is
      // stateless HTTP. It bounds the "Redis back" row from below.
      { name: '  (Redis back → the local bridge answers a PING)', times: [] },
      { name: 'Redis back   → hot breaker closed', times: [] },
      { name: 'Postgres back → durable breaker closed', times: [] },
      { name: 'Postgres back → first CRITICAL save of a new run durable', times: [] },
    ];
    const outageMs = 2_000;
    for (let round = 0; round < repeats; round++) {
      const [down, up, bridge, hotClosed] = await cycle(
        outageMs,
        () => engines.faults.killRedis(),
        () => engines.faults.restartRedis(),
        (from) => firstAfter(redisEvents, from, (e) => e.servedBy === 'durable'),
        (from) => firstAfter(redisEvents, from, (e) => e.servedBy === 'hot'),
        () => engines.raw.hot.ping(),
        [(from) => untilClosed(() => engines.tiers.breakers.hot?.state(), from)],
      );
      transitions[0]!.times.push(down);
      transitions[1]!.times.push(up);
      transitions[4]!.times.push(bridge);
      transitions[5]!.times.push(hotClosed ?? Number.NaN);
      await sleep(1_500);
      const [pgDown, pgUp, , pgClosed, pgFresh] = await cycle(
        outageMs,
        () => engines.faults.kill9Postgres(),
        () => engines.faults.startPostgres(),
        (from) => firstAfter(pgEvents, from, (e) => e.durability === 'spooled'),
        (from) => firstAfter(pgEvents, from, (e) => e.durability === 'durable'),
        undefined,
        [
          (from) => untilClosed(() => engines.tiers.breakers.durable?.state(), from),
          (from) =>
            untilFreshSave(engines.baseUrl, mid.apiKey, from, (body) => body.durability === 'durable'),
        ],
      );
      transitions[2]!.times.push(pgDown);
      transitions[3]!.times.push(pgUp);
      transitions[6]!.times.push(pgClosed ?? Number.NaN);
      transitions[7]!.times.push(pgFresh ?? Number.NaN);
      await sleep(1_500);
    }

    console.log(
      `\nFailover under a steady load of ${agentCount} agents (throwaway Redis and Postgres, kill -9, ${outageMs} ms ` +
        `outages; hot timeout 300 ms, durable 1000 ms, breakers open 400 ms), ${repeats} repeats`,
    );
    console.log(
      `${'transition'.padEnd(58)}${'min'.padStart(10)}${'median'.padStart(10)}${'max'.padStart(10)}`,
    );
    const ms = (value: number | undefined) =>
      (value === undefined || Number.isNaN(value) ? 'timeout' : `${value.toFixed(0)} ms`).padStart(10);
    for (const { name, times } of transitions) {
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`${name.padEnd(58)}${ms(sorted[0])}${ms(percentile(sorted, 50))}${ms(sorted.at(-1))}`);
    }
    const worst = Math.max(
      ...transitions.flatMap((t) => t.times.map((x) => (Number.isNaN(x) ? Infinity : x))),
    );
    console.log(
      `  target < 5000 ms: ${worst < 5_000 ? 'met' : 'MISSED'}; aim < 1000 ms: ${worst < 1_000 ? 'met' : 'missed'} ` +
        `(worst ${Number.isFinite(worst) ? `${worst.toFixed(0)} ms` : 'timeout'})`,
    );
    console.log(
      `  background load: ${load.acks.length} saves acknowledged in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s ` +
        `(hot ${load.count('hot')}, durable ` +
        `${load.count('durable')}, spooled ${load.count('spooled')}), ${load.conflicts} 409s, ` +
        `${load.statusCount(503)} 503s`,
    );
  } finally {
    stopped = true;
    await Promise.allSettled(running);
    await engines.close();
  }
}
