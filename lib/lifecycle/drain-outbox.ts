/**
 * The `drain-outbox` job: makes durable the hot heads that were acknowledged from Redis alone (AUTO saves), for
 * plans that keep durable copies. The outbox is written by the same Lua call as the save, so a function instance
 * that dies after answering strands nothing. An entry is acknowledged only if no newer save re-scored it.
 */
import { TierRejected } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { PLANS } from '../plans.ts';
import { runFieldsOf, stateOf } from '../service/versions.ts';
import type { DurableTier, PlanName, TenantDirectory } from '../tiers/durable/port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { HotTier, OutboxEntry } from '../tiers/hot/port.ts';

export interface OutboxDeps {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory;
  /** Consulted so an older hot head never takes the version number of a spooled save. @default none */
  readonly fallback?: Pick<FallbackStore, 'loadLatest'> | undefined;
  readonly log: Logger;
  readonly now: () => number;
}

export interface OutboxReport {
  readonly committed: number;
  readonly alreadyDurable: number;
  /** Heads that expired from Redis before the drain reached them (their plan never promised durability). */
  readonly expired: number;
  /**
   * Heads the durable tier refused as data (TierRejected): retrying cannot help, so the entry is acknowledged and
   * the head stays hot-only (logged; the consistency check reports it as hot_ahead_of_durable).
   */
  readonly rejected: number;
  /**
   * Heads a spooled version of the run has overtaken (the writer saved over them while Postgres was away): the
   * fallback drain commits the spooled one; committing the older hot head first would take its version number.
   */
  readonly superseded: number;
  readonly remaining: number;
}

export async function drainOutbox(
  deps: OutboxDeps,
  options: { graceMs?: number; maxEntries?: number } = {},
): Promise<OutboxReport> {
  // Very fresh saves are left for the next pass: the agent is likely to save again within seconds.
  const savedBefore = deps.now() - (options.graceMs ?? 5_000);
  const plans = new Map<string, PlanName>();
  let committed = 0;
  let alreadyDurable = 0;
  let expired = 0;
  let rejected = 0;
  let superseded = 0;
  for (let handled = 0; handled < (options.maxEntries ?? 10_000); ) {
    const entries = await deps.hot.outboxBatch({ savedBefore, limit: 200 });
    if (entries.length === 0) break;
    const done: OutboxEntry[] = [];
    for (const entry of entries) {
      const outcome = await makeDurable(deps, entry, plans);
      if (outcome === 'committed') committed++;
      else if (outcome === 'durable') alreadyDurable++;
      else if (outcome === 'rejected') rejected++;
      else if (outcome === 'superseded') superseded++;
      else expired++;
      done.push(entry);
    }
    await deps.hot.outboxAck(done);
    handled += entries.length;
  }
  const remaining = await deps.hot.outboxSize();
  const report = { committed, alreadyDurable, expired, rejected, superseded, remaining };
  if (committed + expired + rejected + superseded > 0) deps.log.info(report, 'outbox drained');
  return report;
}

async function makeDurable(
  deps: OutboxDeps,
  entry: OutboxEntry,
  plans: Map<string, PlanName>,
): Promise<'committed' | 'durable' | 'expired' | 'rejected' | 'superseded'> {
  const head = await deps.hot.load(entry.key);
  if (!head) return 'expired';
  let plan = plans.get(entry.key.tenantId);
  if (!plan) {
    plan = (await deps.durable.getTenant(entry.key.tenantId))?.plan ?? 'free';
    plans.set(entry.key.tenantId, plan);
  }
  if (PLANS[plan].durableEveryVersions === null) return 'durable'; // a hot-only plan: nothing is owed
  const run = await deps.durable.getRun(entry.key);
  if (run && run.durableVersion >= head.version) return 'durable';
  // A save acknowledged `spooled` at this version or above was made after this hot-only head (its writer lost
  // sight of it and saved over it while Postgres was away): that one is owed to Postgres, by the fallback drain.
  // Committing this head first took its version number and left the spooled save to conflict, lost
  // (GOLDEN_HIGH_CONCURRENCY_FLOW, seed 20261126: `s1:v1A→hot s2:v2A→409 load→404 s3:v1C→spooled`).
  const spooled = deps.fallback ? await deps.fallback.loadLatest(entry.key) : null;
  if (spooled && spooled.version >= head.version) return 'superseded';
  let outcome: Awaited<ReturnType<DurableTier['commit']>>;
  try {
    outcome = await deps.durable.commit(entry.key, head, { run: runFieldsOf(stateOf(head)) });
  } catch (error) {
    // One refused head must not stop the outbox for every other run (a TierUnavailable still does).
    if (!(error instanceof TierRejected)) throw error;
    deps.log.error(
      { runId: entry.key.runId, version: head.version, reason: error.reason, sqlState: error.sqlState },
      'outbox: the durable tier refused a hot head as data; it stays hot-only',
    );
    return 'rejected';
  }
  if (outcome.status === 'conflict') {
    deps.log.warn(
      { runId: entry.key.runId, version: head.version },
      'outbox: the durable tier holds another copy',
    );
  }
  return 'committed';
}
