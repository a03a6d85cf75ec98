/**
 * The `drain-fallback` job: replays writes spooled while Postgres was down into the durable tier, in spool
 * order (so a run's versions arrive in order), and removes each one only once Postgres holds it. Replaying
 * is idempotent: a version Postgres already holds with the same hash counts as committed. A spooled write
 * that conflicts with what Postgres holds stays in the spool and is reported — recorded, never dropped.
 *
 * A write Postgres refuses (TierRejected: the data itself, e.g. a NUL in a text field) can never be applied:
 * it moves to the dead letters with its reason and the drain goes on with the other runs. The run's later
 * spooled versions are not committed over the gap it leaves: they are quarantined too (`after_dead_letter`),
 * unless Postgres already holds a version above the gap (a save went straight to Postgres since). A tier that
 * is unavailable still stops the drain: the rest waits for the next run. See docs/decisions.md.
 */
import { TierRejected, TierUnavailable } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { DurableTier } from '../tiers/durable/port.ts';
import type { FallbackStore, SpooledWrite } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';
import type { RunKey } from '../tiers/types.ts';

export interface DrainDeps {
  readonly durable: DurableTier;
  readonly hot: HotTier;
  readonly fallback: FallbackStore;
  readonly log: Logger;
}

export interface DrainReport {
  readonly replayed: number;
  readonly conflicts: number;
  /** Moved to the dead letters by this run: refused by Postgres, or behind a refused version of their run. */
  readonly quarantined: number;
  /** True when a tier was unavailable mid-drain; the rest waits for the next run. */
  readonly stoppedEarly: boolean;
  readonly remaining: number;
}

/** The reason of a write quarantined because an earlier version of its run is a dead letter. */
export const AFTER_DEAD_LETTER = 'after_dead_letter';

/** Hot copies written back after a replay live this long; the next save sets the plan's TTL again. */
const PROMOTED_TTL_SECONDS = 3600;
/** Dead letters read to learn which runs have a gap: far beyond what an operator leaves lying, yet bounded. */
const MAX_DEAD_LETTER_PAGES = 100;
const PAGE = 1000;

const runName = (key: RunKey) => `${key.tenantId}\u0000${key.runId}`;

export async function drainFallback(
  deps: DrainDeps,
  options: { maxWrites?: number } = {},
): Promise<DrainReport> {
  let replayed = 0;
  let conflicts = 0;
  let quarantined = 0;
  let stoppedEarly = false;
  let after: string | undefined;
  const maxWrites = options.maxWrites ?? 10_000;
  try {
    // run → its lowest dead-letter version: the gap its later versions must not be committed over.
    const gaps = await deadLetterGaps(deps.fallback);
    outer: while (replayed + conflicts + quarantined < maxWrites) {
      const page = await deps.fallback.list({ limit: 200, ...(after !== undefined && { after }) });
      if (page.length === 0) break;
      for (const write of page) {
        if (replayed + conflicts + quarantined >= maxWrites) break outer;
        after = write.id;
        const gap = gaps.get(runName(write.key));
        if (gap !== undefined && (await behindGap(deps, write, gap))) {
          if (await quarantine(deps, write, AFTER_DEAD_LETTER)) quarantined++;
          continue;
        }
        try {
          if (await replay(deps, write)) replayed++;
          else conflicts++;
        } catch (error) {
          if (!(error instanceof TierRejected) || error.tier !== 'durable') throw error;
          if (await quarantine(deps, write, error.reason, error.sqlState)) quarantined++;
          gaps.set(runName(write.key), Math.min(gap ?? Number.POSITIVE_INFINITY, write.record.version));
        }
      }
    }
  } catch (error) {
    if (!(error instanceof TierUnavailable)) throw error;
    deps.log.warn({ err: error }, 'drain stopped: a tier is still unavailable');
    stoppedEarly = true;
  }
  const remaining = await deps.fallback.count();
  const report = { replayed, conflicts, quarantined, stoppedEarly, remaining };
  if (replayed + conflicts + quarantined > 0 || stoppedEarly) deps.log.info(report, 'fallback drained');
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
    // A hot copy that missed this version (Redis was down too) is brought forward; a newer one is kept. The
    // spool entry goes only once that is done: until then it is what tells a load — on any instance, since it
    // lives in the fallback store — that the hot copy is behind (read-path.ts reads below a hot head the spool
    // has overtaken). Removed first, a failed promotion left Redis serving an older head than Postgres held
    // (GOLDEN_RECOVERY_FLOW, seed 7: "head 3, acked v8"). With Redis away the drain stops here (TierUnavailable),
    // the version already committed; the next pass finds it committed and finishes.
    await deps.hot.promote(write.key, await newestCommitted(deps, write), PROMOTED_TTL_SECONDS);
    await deps.fallback.remove(write.id);
    return true;
  }
  deps.log.error(
    { runId: write.key.runId, version: write.record.version, outcome: outcome.status, spoolId: write.id },
    'a spooled write conflicts with the durable tier; kept in the spool for an operator',
  );
  return false;
}

/**
 * What to promote for a replayed write: the write itself, or Postgres' head when the run has gone past it there.
 * A write stays spooled until a promotion lands, and the run may go on meanwhile; promoting the old write then
 * into a Redis that lost its data (a restart) made it the hot head, older than Postgres', for every instance
 * (GOLDEN_RECOVERY_FLOW, seed 201; test/lifecycle/drain-fallback). "A newer hot head is kept" guards only
 * against a hot copy that still has one.
 */
async function newestCommitted(
  deps: Pick<DrainDeps, 'durable'>,
  write: SpooledWrite,
): Promise<SpooledWrite['record']> {
  const run = await deps.durable.getRun(write.key);
  if ((run?.durableVersion ?? 0) <= write.record.version) return write.record;
  return (await deps.durable.loadLatest(write.key)) ?? write.record;
}

/** Moves a write to the dead letters; false when another drain got there first (it is not counted twice). */
async function quarantine(deps: DrainDeps, write: SpooledWrite, reason: string, sqlState?: string) {
  const moved = await deps.fallback.quarantine(write.id, reason);
  // Never the payload, nor Postgres' own text (it may quote the data): the dead letter keeps the write whole.
  deps.log.error(
    {
      tenantId: write.key.tenantId,
      runId: write.key.runId,
      version: write.record.version,
      spoolId: write.id,
      reason,
      ...(sqlState && { sqlState }),
    },
    'a spooled write cannot be applied; moved to the dead letters for an operator',
  );
  return moved;
}

/**
 * Whether committing `write` would cross the gap a dead letter of its run (at version `gap`) left: it is
 * above the gap and Postgres holds nothing above it yet. Once a save went straight to Postgres past the gap
 * (the durable tier was back and the run went on), the gap is history and later spooled versions replay.
 */
async function behindGap(deps: DrainDeps, write: SpooledWrite, gap: number): Promise<boolean> {
  if (write.record.version <= gap) return false;
  const run = await deps.durable.getRun(write.key);
  return (run?.durableVersion ?? 0) < gap;
}

async function deadLetterGaps(fallback: FallbackStore): Promise<Map<string, number>> {
  const gaps = new Map<string, number>();
  let after: string | undefined;
  for (let page = 0; page < MAX_DEAD_LETTER_PAGES; page++) {
    const letters = await fallback.deadLetters({ limit: PAGE, ...(after !== undefined && { after }) });
    for (const { write } of letters) {
      const name = runName(write.key);
      gaps.set(name, Math.min(gaps.get(name) ?? Number.POSITIVE_INFINITY, write.record.version));
    }
    after = letters.at(-1)?.write.id;
    if (letters.length < PAGE) break;
  }
  return gaps;
}
