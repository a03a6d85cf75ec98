/**
 * The `drain-fallback` job: replays writes spooled while Postgres was down into the durable tier, in spool
 * order (so a run's versions arrive in order), and removes each one only once Postgres holds it. Replaying
 * is idempotent: a version Postgres already holds with the same hash counts as committed. A spooled write
 * that conflicts with what Postgres holds stays in the spool and is reported — recorded, never dropped.
 */
import { TierUnavailable } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { DurableTier } from '../tiers/durable/port.ts';
import type { FallbackStore, SpooledWrite } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';

export interface DrainDeps {
  readonly durable: DurableTier;
  readonly hot: HotTier;
  readonly fallback: FallbackStore;
  readonly log: Logger;
}

export interface DrainReport {
  readonly replayed: number;
  readonly conflicts: number;
  /** True when the durable tier failed mid-drain; the rest waits for the next run. */
  readonly stoppedEarly: boolean;
  readonly remaining: number;
}

/** Hot copies written back after a replay live this long; the next save sets the plan's TTL again. */
const PROMOTED_TTL_SECONDS = 3600;

export async function drainFallback(
  deps: DrainDeps,
  options: { maxWrites?: number } = {},
): Promise<DrainReport> {
  let replayed = 0;
  let conflicts = 0;
  let stoppedEarly = false;
  let after: string | undefined;
  const maxWrites = options.maxWrites ?? 10_000;
  outer: while (replayed + conflicts < maxWrites) {
    const page = await deps.fallback.list({ limit: 200, ...(after !== undefined && { after }) });
    if (page.length === 0) break;
    for (const write of page) {
      after = write.id;
      try {
        if (await replay(deps, write)) replayed++;
        else conflicts++;
      } catch (error) {
        if (!(error instanceof TierUnavailable)) throw error;
        deps.log.warn({ err: error }, 'drain stopped: a tier is still unavailable');
        stoppedEarly = true;
        break outer;
      }
    }
  }
  const remaining = await deps.fallback.count();
  const report = { replayed, conflicts, stoppedEarly, remaining };
  if (replayed + conflicts > 0 || stoppedEarly) deps.log.info(report, 'fallback drained');
  return report;
}

/** Commits one spooled write; true when Postgres now holds it (and the spool entry is gone). */
export async function replay(
  deps: Pick<DrainDeps, 'durable' | 'hot' | 'fallback' | 'log'>,
  write: SpooledWrite,
): Promise<boolean> {
  const outcome = await deps.durable.commit(write.key, write.record, {
    run: write.run,
    ...(write.idempotency && { idempotency: write.idempotency }),
  });
  if (outcome.status === 'committed' || outcome.status === 'replayed') {
    // A hot copy that missed this version (Redis was down too) is brought forward; a newer one is kept.
    await deps.hot.promote(write.key, write.record, PROMOTED_TTL_SECONDS).catch(() => {});
    await deps.fallback.remove(write.id);
    return true;
  }
  deps.log.error(
    { runId: write.key.runId, version: write.record.version, outcome: outcome.status, spoolId: write.id },
    'a spooled write conflicts with the durable tier; kept in the spool for an operator',
  );
  return false;
}
