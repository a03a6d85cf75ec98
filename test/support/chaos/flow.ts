/** The parts the chaos flows share: a population of agents, the settle-and-verify phase, the summary line. */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ConsistencyReport } from '../../../lib/lifecycle/consistency.ts';
import type { DrainReport } from '../../../lib/lifecycle/drain-fallback.ts';
import type { OutboxReport } from '../../../lib/lifecycle/drain-outbox.ts';
import { type AgentSpec, type Ledger, picker, type Target } from './agents.ts';
import { type FaultRecord, onlyRedisDown } from './chaos-driver.ts';
import type { FaultyEngines } from './faulty-engines.ts';
import { createRng } from './rng.ts';
import { describeViolations, type Verification, verifyLedger } from './verify.ts';

export interface Population {
  readonly agents: readonly AgentSpec[];
  apiKeyOf(runId: string): string;
}

/** `count` agents spread over `tenants` tenants on the mid plan, each agent on its own new run. */
export async function createPopulation(
  engines: FaultyEngines,
  options: { count: number; tenants: number; prefix: string },
): Promise<Population> {
  const keys = await Promise.all(Array.from({ length: options.tenants }, () => engines.createTenant('mid')));
  const byRun = new Map<string, string>();
  const agents = Array.from({ length: options.count }, (_, i) => {
    const { apiKey } = keys[i % keys.length]!;
    const runId = `${options.prefix}-${String(i).padStart(3, '0')}`;
    byRun.set(runId, apiKey);
    return { runId, apiKey, agentName: `agent-${i % 7}`, criticalEvery: 3 };
  });
  return { agents, apiKeyOf: (runId) => byRun.get(runId)! };
}

export interface Settled {
  readonly drains: readonly DrainReport[];
  /** What the drain could not replay (conflicts kept for an operator): run, version, hash. */
  readonly leftInSpool: readonly string[];
  readonly outbox: OutboxReport;
  readonly repair: ConsistencyReport;
  readonly verification: Verification;
}

/**
 * After the load: heal every server, drain the spool until empty, drain the outbox (after the spool: a spooled
 * version must reach Postgres before a hot head built on it), repair, then check the invariants.
 */
export async function settleAndVerify(
  engines: FaultyEngines,
  ledger: Ledger,
  population: Population,
): Promise<Settled> {
  await engines.heal();
  const drains = await engines.drainSpool();
  const left = await engines.raw.fallback.list({ limit: 1000 });
  const leftInSpool = left.map((w) => `${w.key.runId} v${w.record.version} ${w.record.hash.slice(0, 12)}`);
  const outbox = await engines.drainOutbox();
  const repair = await engines.repair();
  const verification = await verifyLedger(engines.service, ledger, population.apiKeyOf);
  return { drains, leftInSpool, outbox, repair, verification };
}

export interface JobTotals {
  passes: number;
  replayed: number;
  outboxCommitted: number;
}

/**
 * The scheduled jobs as `npm start` runs them in process, on a compressed cadence: drain-fallback and
 * drain-outbox every `everyMs`. A pass that meets a dead tier stops early (the scheduler would retry it).
 * Returns a stop function that resolves, once the pass in progress has finished, with what the passes did.
 */
export function startScheduledJobs(engines: FaultyEngines, everyMs: number): () => Promise<JobTotals> {
  let stopped = false;
  let wake = () => {};
  const totals: JobTotals = { passes: 0, replayed: 0, outboxCommitted: 0 };
  const loop = (async () => {
    for (let round = 0; round < 10_000 && !stopped; round++) {
      // Interruptible: stopping must not wait out the pause.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) break;
      const drains = await engines.drainSpool({ timeoutMs: everyMs, untilEmpty: false }).catch(() => []);
      totals.replayed += drains.reduce((n, d) => n + d.replayed, 0);
      const outbox = await engines.drainOutbox({ graceMs: 1_000 }).catch(() => null);
      totals.outboxCommitted += outbox?.committed ?? 0;
      totals.passes++;
    }
  })();
  return async () => {
    stopped = true;
    wake();
    await loop;
    return totals;
  };
}

/**
 * CRITICAL saves while Redis alone was down: the contract says Postgres takes them (or the spool), so none
 * may be answered 5xx. `acked` shows the check was exercised.
 */
export function criticalWhileOnlyRedisDown(ledger: Ledger, faults: readonly FaultRecord[], settleMs = 1_500) {
  const inside = (from: number, to: number) => onlyRedisDown(faults, from, to, settleMs);
  return {
    acked: ledger.acks.filter((a) => a.checkpoint === 'CRITICAL' && inside(a.sentAt, a.answeredAt)).length,
    failed5xx: ledger.failures.filter(
      (f) => f.checkpoint === 'CRITICAL' && f.status >= 500 && inside(f.sentAt, f.answeredAt),
    ),
  };
}

export function summaryLine(
  name: string,
  ledger: Ledger,
  faults: readonly FaultRecord[],
  settled: Settled,
  jobs: JobTotals,
  extra = '',
): string {
  const v = settled.verification;
  const fivexx = ledger.failures.filter((f) => f.status >= 500).length;
  const drained = jobs.replayed + settled.drains.reduce((n, d) => n + d.replayed, 0);
  const outbox = jobs.outboxCommitted + settled.outbox.committed;
  return (
    `${name}: acked ${ledger.acks.length} (hot ${ledger.count('hot')}, durable ${ledger.count('durable')}, ` +
    `spooled ${ledger.count('spooled')}), 409s ${ledger.conflicts}, 503s ${ledger.statusCount(503)} ` +
    `(all 5xx ${fivexx}, no answer ${ledger.statusCount(0)}), abandoned ${ledger.abandoned}, ` +
    `faults ${faults.length}, drained ${drained}, outbox committed ${outbox}, repaired ${Object.values(settled.repair.repaired).reduce((a, b) => a + b, 0)}, ` +
    `checked ${v.checkedVersions} versions/${v.checkedRuns} runs: lost ${v.lost}, regressed ${v.regressed}, ` +
    `duplicated ${v.duplicated}${extra}`
  );
}

/**
 * State-api instances each chaos flow drives its agents through (separate processes); CHAOS_INSTANCES=1 replays
 * a run on one, to tell what only several instances get wrong.
 */
export const CHAOS_INSTANCES = Number(process.env.CHAOS_INSTANCES ?? 3);

/** With CHAOS_REPORT=<path prefix>, the instances of flow `name` keep their logs in `<prefix>-<name>-logs/`. */
export function chaosLogDir(name: string): string | undefined {
  const prefix = process.env.CHAOS_REPORT;
  return prefix ? `${prefix}-${name}-logs` : undefined;
}

/**
 * With CHAOS_REPORT=<path prefix>, writes `<prefix>-<name>.json`: what explains a run — the fault timeline, the
 * kinds of failed attempts and, for each run with a violation or a refused retry (and each of `alsoTrace`), its
 * timed trail (times in ms since `origin`).
 */
export function writeChaosReport(
  name: string,
  ledger: Ledger,
  faults: readonly FaultRecord[],
  settled: Settled,
  origin: number,
  alsoTrace: readonly string[] = [],
): void {
  const prefix = process.env.CHAOS_REPORT;
  if (!prefix) return;
  // The report is written even when nothing failed: the failure kinds explain the 503s too.
  const at = (t: number) => Math.round(t - origin);
  const runs = [
    ...new Set([
      ...settled.verification.violations.map((v) => v.runId),
      ...ledger.retriesRefused.map((r) => r.split(' ')[0]!),
      ...alsoTrace,
    ]),
  ];
  const report = {
    faults: faults.map((f) => ({ kind: f.kind, from: at(f.appliedAt), to: at(f.restoredAt) })),
    violations: settled.verification.violations.map(({ trail: _trail, ...v }) => v),
    leftInSpool: settled.leftInSpool,
    retriesRefused: ledger.retriesRefused,
    failureKinds: Object.fromEntries(
      [
        ...ledger.failures.reduce((m, f) => {
          const kind = `${f.status} ${f.checkpoint} ${f.detail.replace(/\d+/g, 'N').slice(0, 110)}`;
          return m.set(kind, (m.get(kind) ?? 0) + 1);
        }, new Map<string, number>()),
      ].sort((a, b) => b[1] - a[1]),
    ),
    trails: Object.fromEntries(
      runs.map((runId) => {
        const times = ledger.trailTimes.get(runId) ?? [];
        return [runId, (ledger.trails.get(runId) ?? []).map((entry, i) => `${at(times[i] ?? 0)} ${entry}`)];
      }),
    ),
  };
  writeFileSync(`${prefix}-${name}.json`, JSON.stringify(report, null, 1));
}

/**
 * Each agent's head as the service answers it now (GET, bounded retries): what an agent that lost its memory
 * resumes from. A run whose head cannot be read is left out (its agent starts from 0 and meets a 409).
 */
export async function loadHeads(
  service: Target,
  population: Population,
  /** Filled with the tier (`servedBy`) and instance that answered each head. */
  answeredBy?: Map<string, string>,
): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  const instance = picker(service, createRng(0x4ead));
  await Promise.all(
    population.agents.map(async ({ runId }) => {
      for (let attempt = 1; attempt <= 20; attempt++) {
        const target = instance();
        const res = await fetch(`${target.url}/v1/runs/${encodeURIComponent(runId)}/state`, {
          headers: { authorization: `Bearer ${population.apiKeyOf(runId)}` },
          signal: AbortSignal.timeout(5_000),
        }).catch(() => null);
        const body = res
          ? ((await res.json().catch(() => ({}))) as { version?: number; servedBy?: string })
          : {};
        if (res?.status === 200 && typeof body.version === 'number') {
          answeredBy?.set(runId, `${body.servedBy ?? '?'} via ${target.name}`);
          return void heads.set(runId, body.version);
        }
        if (res?.status === 404) return void heads.set(runId, 0);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }),
  );
  return heads;
}

/** Runs whose head, as loaded, is older than a version acknowledged durable/spooled before. */
export function headsBehindAcks(
  ledger: Ledger,
  heads: ReadonlyMap<string, number>,
  answeredBy: ReadonlyMap<string, string> = new Map(),
): string[] {
  const highest = new Map<string, number>();
  for (const ack of ledger.acks) {
    if (ack.durability === 'hot') continue;
    highest.set(ack.runId, Math.max(highest.get(ack.runId) ?? 0, ack.version));
  }
  return [...highest]
    .filter(([runId, version]) => (heads.get(runId) ?? -1) < version)
    .map(
      ([runId, version]) =>
        `${runId}: head ${heads.get(runId) ?? 'unreadable'} (${answeredBy.get(runId) ?? 'no answer'}), acked v${version}`,
    );
}

/**
 * What every chaos flow must show once healed and drained: the proxy contained nothing, no agent saw an
 * anomaly, no CRITICAL save failed while only Redis was down, and no acknowledged save was lost, went
 * backwards or was duplicated.
 */
export function expectZeroLoss(
  engines: FaultyEngines,
  ledger: Ledger,
  redisOnly: ReturnType<typeof criticalWhileOnlyRedisDown>,
  settled: Settled,
): void {
  const { verification: v } = settled;
  expect(engines.infraErrors, 'errors raised by the local Neon proxy outside any request').toEqual([]);
  expect(ledger.anomalies, ledger.anomalies.slice(0, 5).join('\n')).toEqual([]);
  expect(
    redisOnly.failed5xx.map((f) => `${f.runId} ${f.status} ${f.detail}`),
    'CRITICAL saves must not fail while only Redis is down',
  ).toEqual([]);
  expect(v.violations.length, describeViolations(v.violations)).toBe(0);
  expect(settled.leftInSpool, 'spooled writes the drain could not replay').toEqual([]);
  expect({ lost: v.lost, regressed: v.regressed, duplicated: v.duplicated }).toEqual({
    lost: 0,
    regressed: 0,
    duplicated: 0,
  });
}
