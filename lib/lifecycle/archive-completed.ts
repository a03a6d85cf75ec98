/**
 * The `archive-completed` job: completed runs go to ClickHouse in batches, exactly once, then retention is
 * applied to their hot and durable copies.
 *
 * Exactly once rests on two guarantees: the archive queue freezes a batch's runs and checkpoints under one id
 * (Postgres), and the archive deduplicates every insert by a token derived from that id (ClickHouse, base
 * tables and view targets). So a doubled trigger, a retried batch, or a crash between the insert and the mark
 * re-sends the same batch under the same id, and nothing is written or counted twice.
 */
import { PLANS } from '../plans.ts';
import type { ArchivedCheckpoint, ArchivedRun } from '../tiers/archive/port.ts';
import type { ArchivableRun, ClaimedBatch } from '../tiers/durable/archive-queue-port.ts';
import type { PlanName } from '../tiers/durable/port.ts';
import { partsOf } from './archive-parts.ts';
import { inParallel, type LifecycleDeps } from './deps.ts';

export interface ArchiveOptions {
  readonly batchSize: number;
  readonly leaseMs: number;
  /** Stop after this many batches, so one invocation stays within its time limit. @default 50 */
  readonly maxBatches?: number;
  /** Archived runs keep their hot copy this long after completion. */
  readonly hotRetentionMs: number;
  /** Archived checkpoints stay in Postgres this long after they were saved. */
  readonly durableRetentionMs: number;
  /** A test seam: smaller parts than production's (archive-parts.ts). @default RUNS_PER_PART */
  readonly runsPerPart?: number;
}

export interface ArchiveReport {
  readonly batches: number;
  readonly retried: number;
  readonly runs: number;
  readonly checkpoints: number;
  readonly alreadyArchived: number;
  readonly hotPurged: number;
  readonly durableCheckpointsDeleted: number;
}

const DAY = 86_400_000;

export async function archiveCompleted(deps: LifecycleDeps, options: ArchiveOptions): Promise<ArchiveReport> {
  let batches = 0;
  let retried = 0;
  let runs = 0;
  let checkpoints = 0;
  let alreadyArchived = 0;
  for (let i = 0; i < (options.maxBatches ?? 50); i++) {
    const claimed = await deps.queue.claimBatch({
      limit: options.batchSize,
      leaseMs: options.leaseMs,
      now: deps.now(),
      newBatchId: deps.newBatchId(),
    });
    if (!claimed) break;
    const written = await archiveBatch(deps, claimed, options.runsPerPart);
    batches++;
    if (claimed.attempt > 1) retried++;
    runs += written.runs;
    checkpoints += written.checkpoints;
    alreadyArchived += written.alreadyArchived;
  }
  const retention = await retainArchived(deps, options);
  const report = { batches, retried, runs, checkpoints, alreadyArchived, ...retention };
  if (batches > 0) deps.log.info(report, 'archived completed runs');
  return report;
}

/**
 * One batch, part by part (archive-parts.ts): while a part is written to the archive, the next part's
 * checkpoints are read from Postgres. The batch is marked archived only after every part is written.
 */
async function archiveBatch(deps: LifecycleDeps, claimed: ClaimedBatch, runsPerPart: number | undefined) {
  const parts = partsOf(claimed, runsPerPart);
  const read = (part: readonly ArchivableRun[] | undefined) => {
    if (!part) return undefined;
    const reading = deps.queue.batchCheckpoints(claimed.batchId, part);
    // Awaited on the next turn; until then a failure must not surface as an unhandled rejection.
    reading.catch(() => {});
    return reading;
  };
  let next = read(parts[0]);
  const plans = await plansOf(deps, claimed.runs);
  const written = { runs: 0, checkpoints: 0, alreadyArchived: 0 };
  for (const [index, part] of parts.entries()) {
    const stored = (await next) ?? [];
    next = read(parts[index + 1]);
    const heads = new Map(stored.map((c) => [`${c.tenantId}\u0000${c.runId}\u0000${c.version}`, c.hash]));
    const runs: ArchivedRun[] = part.map((run) => toArchivedRun(run, heads, plans, deps.now()));
    const checkpoints: ArchivedCheckpoint[] = stored;
    const result = await deps.archive.writeBatch({ batchId: claimed.batchId, runs, checkpoints });
    written.runs += result.runs;
    written.checkpoints += result.checkpoints;
    written.alreadyArchived += result.alreadyArchived;
    await deps.hooks?.afterArchivePart?.(claimed.batchId, index);
  }
  await deps.hooks?.afterArchiveWrite?.(claimed.batchId);
  await deps.queue.markArchived(claimed.batchId, deps.now());
  return written;
}

function toArchivedRun(
  run: ArchivableRun,
  heads: ReadonlyMap<string, string>,
  plans: ReadonlyMap<string, PlanName>,
  now: number,
): ArchivedRun {
  const completedAt = run.completedAt ?? now;
  const plan = PLANS[plans.get(run.tenantId) ?? 'free'];
  return {
    tenantId: run.tenantId,
    runId: run.runId,
    agentName: run.agentName,
    parentRunId: run.parentRunId,
    threadId: run.threadId,
    userId: run.userId,
    status: run.status === 'completed' ? 'completed' : 'failed',
    model: run.model,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
    costUsd: run.costUsd,
    createdAt: run.createdAt,
    completedAt,
    archivedAt: now,
    headVersion: run.archiveHeadVersion,
    headHash: heads.get(`${run.tenantId}\u0000${run.runId}\u0000${run.archiveHeadVersion}`) ?? '',
    retainUntil: completedAt + plan.retentionDays * DAY,
  };
}

async function plansOf(deps: LifecycleDeps, runs: readonly ArchivableRun[]): Promise<Map<string, PlanName>> {
  const plans = new Map<string, PlanName>();
  for (const tenantId of new Set(runs.map((r) => r.tenantId))) {
    plans.set(tenantId, (await deps.durable.getTenant(tenantId))?.plan ?? 'free');
  }
  return plans;
}

/** Hot copies of archived runs, and durable checkpoints the archive holds, past their retention. */
async function retainArchived(deps: LifecycleDeps, options: ArchiveOptions) {
  const now = deps.now();
  let hotPurged = 0;
  for (let round = 0; round < 100; round++) {
    const keys = await deps.queue.runsToPurgeFromHot({
      completedBefore: now - options.hotRetentionMs,
      limit: 500,
    });
    if (keys.length === 0) break;
    await inParallel(keys, 16, (key) => deps.hot.delete(key));
    await deps.queue.markHotPurged(keys, now);
    hotPurged += keys.length;
  }
  let durableCheckpointsDeleted = 0;
  for (let round = 0; round < 100; round++) {
    const deleted = await deps.queue.deleteArchivedCheckpoints({
      savedBefore: now - options.durableRetentionMs,
      limit: 5000,
    });
    durableCheckpointsDeleted += deleted;
    if (deleted === 0) break;
  }
  return { hotPurged, durableCheckpointsDeleted };
}
