/**
 * The ArchiveQueue on the durable store's drizzle database (the same `db` as sql-store.ts). Each method is one
 * statement, so it works over Neon HTTP (no session, no interactive transaction) and is atomic on its own.
 * The statements, and why they are safe under concurrency, are in archive-queue-sql.ts.
 */
import { and, asc, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { RunKey, RunStatus } from '../types.ts';
import type {
  ArchivableRun,
  ArchivedCheckpointRow,
  ArchiveQueue,
  ClaimedBatch,
} from './archive-queue-port.ts';
import {
  ARCHIVED_CHECKPOINT_COLUMNS,
  type ArchivedColumnType,
  abandonStatement,
  batchCheckpointsStatement,
  claimStatement,
  deleteArchivedStatement,
  deleteLiveStatement,
  markArchivedStatement,
  oldestPendingStatement,
  statsStatement,
} from './archive-queue-sql.ts';
import type { DurableGuard } from './durable-guard.ts';
import { clampLimit, num, numOrNull, rowsOf, text, textOrNull } from './raw-rows.ts';
import { runs } from './schema.ts';
import type { DurableDb } from './sql-store.ts';

/** Upper bound of every `limit`: a batch must fit one archive write, a retention step one statement. */
const MAX_LIMIT = 10_000;

export function createArchiveQueue(db: DurableDb, guard: DurableGuard): ArchiveQueue {
  const rows = async (statement: SQL) => rowsOf(await db.execute(statement));

  return {
    claimBatch: (options) =>
      guard('claimBatch', async () => {
        const found = await rows(
          claimStatement({
            limit: clamp(options.limit),
            now: options.now,
            claimedUntil: options.now + Math.max(0, options.leaseMs),
            newBatchId: options.newBatchId,
          }),
        );
        const first = found[0];
        if (!first) return null;
        const batch: ClaimedBatch = {
          batchId: text(first.batch_id),
          attempt: num(first.attempts),
          runCount: num(first.run_count),
          runs: found.filter((row) => row.run_id !== null).map(toArchivableRun),
        };
        return batch;
      }),

    batchCheckpoints: (batchId, only) =>
      guard('batchCheckpoints', async () =>
        (await rows(batchCheckpointsStatement(batchId, only))).map(toArchivedCheckpointRow),
      ),

    markArchived: (batchId, at) =>
      guard('markArchived', async () => num((await rows(markArchivedStatement(batchId, at)))[0]?.marked)),

    runsToPurgeFromHot: (options) =>
      guard('runsToPurgeFromHot', () =>
        db
          .select({ tenantId: runs.tenantId, runId: runs.runId })
          .from(runs)
          .where(
            and(
              isNotNull(runs.archivedAt),
              // Named for runs_hot_purge_idx (a run is archived through a batch).
              isNotNull(runs.archiveBatchId),
              isNull(runs.hotPurgedAt),
              lt(runs.completedAt, new Date(options.completedBefore)),
            ),
          )
          .orderBy(asc(runs.completedAt), asc(runs.runId), asc(runs.tenantId))
          .limit(clamp(options.limit)),
      ),

    markHotPurged: (keys, at) =>
      guard('markHotPurged', async () => {
        if (keys.length === 0) return;
        // The keys travel as one JSON parameter: one statement whatever their number, on every driver.
        const list = JSON.stringify(keys.map((k) => ({ tenant_id: k.tenantId, run_id: k.runId })));
        await db
          .update(runs)
          .set({ hotPurgedAt: new Date(at) })
          .where(
            and(
              isNotNull(runs.archivedAt),
              isNull(runs.hotPurgedAt),
              sql`(${runs.tenantId}, ${runs.runId}) IN (SELECT tenant_id, run_id
                  FROM jsonb_to_recordset(${list}::jsonb) AS k(tenant_id text, run_id text))`,
            ),
          );
      }),

    deleteArchivedCheckpoints: (options) =>
      guard('deleteArchivedCheckpoints', async () =>
        num((await rows(deleteArchivedStatement(options.savedBefore, clamp(options.limit))))[0]?.deleted),
      ),

    deleteOldCheckpointsOfLiveRuns: (options) =>
      guard('deleteOldCheckpointsOfLiveRuns', async () =>
        num((await rows(deleteLiveStatement(options.savedBefore, clamp(options.limit))))[0]?.deleted),
      ),

    abandonStaleRuns: (options) =>
      guard('abandonStaleRuns', async () => {
        const found = await rows(abandonStatement(options.updatedBefore, options.at, clamp(options.limit)));
        return found.map((row): RunKey => ({ tenantId: text(row.tenant_id), runId: text(row.run_id) }));
      }),

    oldestPendingCompletion: () =>
      guard('oldestPendingCompletion', async () =>
        numOrNull((await rows(oldestPendingStatement()))[0]?.oldest),
      ),

    stats: () =>
      guard('stats', async () => {
        const [row] = await rows(statsStatement());
        return {
          pending: num(row?.pending),
          batchesInFlight: num(row?.batches_in_flight),
          archived: num(row?.archived),
        };
      }),
  };
}

function toArchivableRun(row: Record<string, unknown>): ArchivableRun {
  return {
    tenantId: text(row.tenant_id),
    runId: text(row.run_id),
    agentName: text(row.agent_name),
    parentRunId: textOrNull(row.parent_run_id),
    threadId: textOrNull(row.thread_id),
    userId: textOrNull(row.user_id),
    status: text(row.status) as RunStatus,
    durableVersion: num(row.durable_version),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    completedAt: numOrNull(row.completed_at),
    archivedAt: numOrNull(row.archived_at),
    model: textOrNull(row.model),
    inputTokens: num(row.input_tokens),
    outputTokens: num(row.output_tokens),
    costUsd: num(row.cost_usd),
    archiveHeadVersion: num(row.archive_head_version),
  };
}

const READERS: Record<ArchivedColumnType, (value: unknown) => unknown> = {
  text,
  number: num,
  'text-or-null': textOrNull,
  'number-or-null': numOrNull,
};
const CHECKPOINT_FIELDS = Object.entries(ARCHIVED_CHECKPOINT_COLUMNS).map(
  ([field, column]: [string, { readonly type: ArchivedColumnType }]) => ({
    field,
    read: READERS[column.type],
  }),
);

/** A row of batchCheckpointsStatement: its columns are named after the port's fields already. */
function toArchivedCheckpointRow(row: Record<string, unknown>): ArchivedCheckpointRow {
  const out: Record<string, unknown> = {};
  for (const { field, read } of CHECKPOINT_FIELDS) out[field] = read(row[field]);
  // The port's whole state has no `format` (as toStoredVersion reads it): only a patch says what it is.
  if (out.format !== 'patch') delete out.format;
  return out as unknown as ArchivedCheckpointRow;
}

const clamp = (limit: number) => clampLimit(limit, MAX_LIMIT);
