/**
 * The `drain-outbox` job: makes durable the hot heads that were acknowledged from Redis alone (AUTO saves), for
 * plans that keep durable copies. The outbox is written by the same Lua call as the save, so a function instance
 * that dies after answering strands nothing. An entry is acknowledged only if no newer save re-scored it.
 */
import type { Logger } from '../observability/logger.ts';
import { PLANS } from '../plans.ts';
import { runFieldsOf, stateOf } from '../service/versions.ts';
import type { DurableTier, PlanName, TenantDirectory } from '../tiers/durable/port.ts';
import type { HotTier, OutboxEntry } from '../tiers/hot/port.ts';

export interface OutboxDeps {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory;
  readonly log: Logger;
  readonly now: () => number;
}

export interface OutboxReport {
  readonly committed: number;
  readonly alreadyDurable: number;
  /** Heads that expired from Redis before the drain reached them (their plan never promised durability). */
  readonly expired: number;
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
  for (let handled = 0; handled < (options.maxEntries ?? 10_000); ) {
    const entries = await deps.hot.outboxBatch({ savedBefore, limit: 200 });
    if (entries.length === 0) break;
    const done: OutboxEntry[] = [];
    for (const entry of entries) {
      const outcome = await makeDurable(deps, entry, plans);
      if (outcome === 'committed') committed++;
      else if (outcome === 'durable') alreadyDurable++;
      else expired++;
      done.push(entry);
    }
    await deps.hot.outboxAck(done);
    handled += entries.length;
  }
  const report = { committed, alreadyDurable, expired, remaining: await deps.hot.outboxSize() };
  if (committed + expired > 0) deps.log.info(report, 'outbox drained');
  return report;
}

async function makeDurable(
  deps: OutboxDeps,
  entry: OutboxEntry,
  plans: Map<string, PlanName>,
): Promise<'committed' | 'durable' | 'expired'> {
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
  const outcome = await deps.durable.commit(entry.key, head, { run: runFieldsOf(stateOf(head)) });
  if (outcome.status === 'conflict') {
    deps.log.warn(
      { runId: entry.key.runId, version: head.version },
      'outbox: the durable tier holds another copy',
    );
  }
  return 'committed';
}
