/**
 * The archive queue's multi-step statements, each ONE statement of data-modifying CTEs: it runs as its own
 * transaction on every driver (no session needed over Neon HTTP) and takes its row locks as it goes.
 * Values come back cast to int, float8 or text (epoch ms as float8), which every driver parses alike.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { RunKey } from '../types.ts';
import type { ArchivedCheckpointRow } from './archive-queue-port.ts';

const at = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`;
const epochMs = (column: string) => sql.raw(`(extract(epoch FROM ${column}) * 1000)::float8`);

/** The ArchivableRun columns of the runs row aliased `r` (null for every column when there is no row). */
const RUN_COLUMNS = sql.join(
  [
    sql.raw(
      'r.tenant_id, r.run_id, r.agent_name, r.parent_run_id, r.thread_id, r.user_id, r.status, r.model',
    ),
    sql.raw(
      'r.durable_version::float8 AS durable_version, r.archive_head_version::float8 AS archive_head_version',
    ),
    sql`${epochMs('r.created_at')} AS created_at, ${epochMs('r.updated_at')} AS updated_at`,
    sql`${epochMs('r.completed_at')} AS completed_at, ${epochMs('r.archived_at')} AS archived_at`,
    sql.raw('coalesce(r.input_tokens, 0)::float8 AS input_tokens'),
    sql.raw('coalesce(r.output_tokens, 0)::float8 AS output_tokens'),
    sql.raw('coalesce(r.cost_usd, 0)::float8 AS cost_usd'),
  ],
  sql`, `,
);

/**
 * The checkpoint columns the archive copies, in ONE place: the port field, the expression over the checkpoint
 * row `c` that yields it, and whether it comes back as a number (float8) or text (`-or-null` for a nullable
 * column). A field added to StoredVersion fails to compile here until it is listed, so a new column cannot be
 * left out of the archive; its ClickHouse side is CHECKPOINT_INSERT in lib/tiers/archive/rows.ts
 * (`baseHash` and `chain` are not columns: a patch's base is the row before it, its position is derived).
 */
export const ARCHIVED_CHECKPOINT_COLUMNS = {
  tenantId: { sql: 'c.tenant_id', type: 'text' },
  runId: { sql: 'c.run_id', type: 'text' },
  version: { sql: 'c.version::float8', type: 'number' },
  hash: { sql: 'c.hash', type: 'text' },
  checkpoint: { sql: 'c.checkpoint', type: 'text' },
  encoding: { sql: 'c.encoding', type: 'text' },
  format: { sql: 'c.format', type: 'text' },
  payload: { sql: 'c.payload', type: 'text' },
  sizeBytes: { sql: 'c.size_bytes::float8', type: 'number' },
  savedAt: { sql: '(extract(epoch FROM c.saved_at) * 1000)::float8', type: 'number' },
} as const satisfies Record<
  Exclude<keyof ArchivedCheckpointRow, 'baseHash' | 'chain'>,
  { sql: string; type: ArchivedColumnType }
>;

export type ArchivedColumnType = 'text' | 'number' | 'text-or-null' | 'number-or-null';

const CHECKPOINT_SELECT = sql.raw(
  Object.entries(ARCHIVED_CHECKPOINT_COLUMNS)
    .map(([field, column]) => `${column.sql} AS "${field}"`)
    .join(', '),
);

/**
 * batchCheckpoints: one statement, only the columns the archive copies. The batch's runs are put in byte order
 * first (10,000 narrow rows, sorted in memory) and each run's checkpoints come from the primary key in version
 * order, so the outer ORDER BY costs an incremental sort of presorted rows instead of sorting every payload
 * (which spilled ~40 MB to disk for a batch of 10,000 runs).
 */
export function batchCheckpointsStatement(batchId: string, only?: readonly RunKey[]): SQL {
  // A subset of the batch's runs travels as one jsonb parameter, whatever its size (no list of 2n parameters).
  const subset = only
    ? sql`AND (r.tenant_id, r.run_id) IN (SELECT k.t, k.r FROM jsonb_to_recordset(${JSON.stringify(
        only.map((key) => ({ t: key.tenantId, r: key.runId })),
      )}::jsonb) AS k(t text, r text))`
    : sql``;
  return sql`
    SELECT ${CHECKPOINT_SELECT}
    FROM (
      SELECT r.tenant_id, r.run_id, r.archive_head_version, b.commit_seq_limit
      FROM archive_batches b JOIN runs r ON r.archive_batch_id = b.batch_id
      WHERE b.batch_id = ${batchId}::text ${subset}
      ORDER BY r.tenant_id COLLATE "C", r.run_id COLLATE "C"
    ) r
    CROSS JOIN LATERAL (
      -- The batch's bounds: see claimStatement for why these two freeze its composition.
      SELECT * FROM checkpoints c
      WHERE c.tenant_id = r.tenant_id AND c.run_id = r.run_id
        AND c.version <= r.archive_head_version AND c.commit_seq < r.commit_seq_limit
      ORDER BY c.version
    ) c
    ORDER BY r.tenant_id COLLATE "C", r.run_id COLLATE "C", c.version`;
}

export interface ClaimParams {
  readonly limit: number;
  readonly now: number;
  readonly claimedUntil: number;
  readonly newBatchId: string;
}

/**
 * claimBatch. One row per run of the batch it hands out (one row with null run columns for a re-claimed
 * batch whose runs were all deleted), none when there is nothing to do.
 *
 * Why two archivers never hold the same batch or run: every pick is `FOR UPDATE SKIP LOCKED`, and the lock
 * is kept until the statement commits. A row another claimer holds is skipped, not waited for. A row another
 * claimer changed after this statement's snapshot is re-read when locked (READ COMMITTED re-checks the WHERE
 * on the newest version), so a run that just joined a batch, or a batch just re-claimed, no longer matches.
 * A run joins a batch by `archive_batch_id` becoming non-null, which no statement ever undoes: at most one batch.
 *
 * Why a batch's composition is frozen: its runs are those whose archive_batch_id names it, set once. Its
 * checkpoints are bounded twice: version <= archive_head_version (the run's head, read under the lock), and
 * commit_seq < commit_seq_limit. The limit is drawn from the checkpoints' sequence AFTER every run of the
 * batch is locked (the aggregate over `picked` consumes all its rows first). A commit draws its commit_seq
 * while holding its run's row lock (commit-sql.ts upserts the run before inserting the checkpoint), so a
 * checkpoint is either committed before the claim locked its run (seq below the limit, and visible to every
 * later read) or inserted after the claim committed (seq above it): a late save, even of an OLDER version,
 * never joins the batch.
 */
export function claimStatement(p: ClaimParams): SQL {
  return sql`
    WITH expired AS MATERIALIZED (
      SELECT batch_id FROM archive_batches
      WHERE archived_at IS NULL AND claimed_until < ${at(p.now)}
      ORDER BY claimed_until, batch_id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), reclaimed AS (
      UPDATE archive_batches b SET claimed_until = ${at(p.claimedUntil)}, attempts = b.attempts + 1
      FROM expired e WHERE b.batch_id = e.batch_id
      RETURNING b.batch_id, b.attempts, b.run_count
    ), candidates AS MATERIALIZED (
      -- Only when no batch was re-claimed: one batch per call. Served by runs_archive_pending_idx.
      SELECT tenant_id, run_id FROM runs
      WHERE completed_at IS NOT NULL AND archived_at IS NULL AND archive_batch_id IS NULL
        AND NOT EXISTS (SELECT FROM reclaimed)
      ORDER BY completed_at, run_id, tenant_id
      LIMIT ${p.limit}
      FOR UPDATE SKIP LOCKED
    ), picked AS (
      UPDATE runs r SET archive_batch_id = ${p.newBatchId}::text, archive_head_version = r.durable_version
      FROM candidates c WHERE r.tenant_id = c.tenant_id AND r.run_id = c.run_id
      RETURNING r.*
    ), created AS (
      -- No row (and no batch) when nothing was picked.
      INSERT INTO archive_batches (batch_id, created_at, claimed_until, attempts, run_count, commit_seq_limit)
      SELECT ${p.newBatchId}::text, ${at(p.now)}, ${at(p.claimedUntil)}, 1, count(*),
             nextval(pg_get_serial_sequence('checkpoints', 'commit_seq'))
      FROM picked HAVING count(*) > 0
      RETURNING batch_id, attempts, run_count
    )
    -- A re-claimed batch's runs were batched by an earlier statement, so this snapshot sees them; a new
    -- batch's runs are visible only through picked's RETURNING.
    SELECT b.batch_id, b.attempts, b.run_count, ${RUN_COLUMNS}
    FROM reclaimed b LEFT JOIN runs r ON r.archive_batch_id = b.batch_id
    UNION ALL
    SELECT b.batch_id, b.attempts, b.run_count, ${RUN_COLUMNS}
    FROM created b CROSS JOIN picked r
    ORDER BY completed_at, run_id, tenant_id`;
}

/**
 * deleteArchivedCheckpoints: only checkpoints the archive holds, i.e. those of the run's (archived) batch, by
 * the same bounds as batchCheckpoints. archived_at is never unset, so no lock is needed.
 */
export function deleteArchivedStatement(savedBefore: number, limit: number): SQL {
  return sql`
    WITH doomed AS MATERIALIZED (
      SELECT c.tenant_id, c.run_id, c.version
      FROM runs r
      JOIN archive_batches b ON b.batch_id = r.archive_batch_id
      JOIN checkpoints c ON c.tenant_id = r.tenant_id AND c.run_id = r.run_id
      WHERE r.archived_at IS NOT NULL AND b.archived_at IS NOT NULL
        AND c.version <= r.archive_head_version AND c.commit_seq < b.commit_seq_limit
        AND c.saved_at < ${at(savedBefore)}
      LIMIT ${limit}
    ), gone AS (
      DELETE FROM checkpoints c USING doomed d
      WHERE c.tenant_id = d.tenant_id AND c.run_id = d.run_id AND c.version = d.version
      RETURNING 1
    )
    SELECT count(*)::int AS deleted FROM gone`;
}

/**
 * deleteOldCheckpointsOfLiveRuns. The runs are locked FOR KEY SHARE (and re-checked) before their checkpoints
 * go: that conflicts only with claimBatch's FOR UPDATE, so a run cannot join a batch while its history is
 * being trimmed, and a run that was completed or batched since this statement's snapshot is left alone.
 * Without it, a long scan could delete checkpoints of a run claimed meanwhile, between two reads of its batch.
 */
export function deleteLiveStatement(savedBefore: number, limit: number): SQL {
  return sql`
    WITH doomed AS MATERIALIZED (
      SELECT c.tenant_id, c.run_id, c.version
      FROM checkpoints c JOIN runs r ON r.tenant_id = c.tenant_id AND r.run_id = c.run_id
      WHERE r.completed_at IS NULL AND r.archive_batch_id IS NULL AND c.saved_at < ${at(savedBefore)}
        -- Only what no kept version is rebuilt from (lib/tiers/chain.ts): a checkpoint below a whole state s, with
        -- nothing between them that stays. Versions from s on rebuild from s or a later whole state.
        AND EXISTS (SELECT FROM checkpoints s
                    WHERE s.tenant_id = c.tenant_id AND s.run_id = c.run_id AND s.version > c.version
                      AND s.format = 'state'
                      AND NOT EXISTS (SELECT FROM checkpoints w
                                      WHERE w.tenant_id = c.tenant_id AND w.run_id = c.run_id
                                        AND w.version > c.version AND w.version < s.version
                                        AND w.saved_at >= ${at(savedBefore)}))
      LIMIT ${limit}
    ), live AS MATERIALIZED (
      SELECT r.tenant_id, r.run_id FROM runs r
      WHERE (r.tenant_id, r.run_id) IN (SELECT tenant_id, run_id FROM doomed)
        AND r.completed_at IS NULL AND r.archive_batch_id IS NULL
      FOR KEY SHARE OF r
    ), gone AS (
      DELETE FROM checkpoints c USING doomed d, live l
      WHERE c.tenant_id = d.tenant_id AND c.run_id = d.run_id AND c.version = d.version
        AND l.tenant_id = d.tenant_id AND l.run_id = d.run_id
      RETURNING 1
    )
    SELECT count(*)::int AS deleted FROM gone`;
}

/**
 * abandonStaleRuns. SKIP LOCKED leaves a run being written right now to a later pass; a run updated after this
 * statement's snapshot is re-checked under the lock and no longer stale.
 */
export function abandonStatement(updatedBefore: number, completedAt: number, limit: number): SQL {
  return sql`
    WITH stale AS MATERIALIZED (
      SELECT tenant_id, run_id FROM runs
      WHERE completed_at IS NULL AND updated_at < ${at(updatedBefore)}
      ORDER BY updated_at, run_id, tenant_id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE runs r SET status = 'failed', completed_at = ${at(completedAt)}, updated_at = now()
    FROM stale s WHERE r.tenant_id = s.tenant_id AND r.run_id = s.run_id
    RETURNING r.tenant_id, r.run_id`;
}

/** markArchived: the batch row is the gate, so of two concurrent calls only the first marks anything. */
export function markArchivedStatement(batchId: string, archivedAt: number): SQL {
  return sql`
    WITH batch AS (
      UPDATE archive_batches SET archived_at = ${at(archivedAt)}
      WHERE batch_id = ${batchId}::text AND archived_at IS NULL
      RETURNING batch_id
    ), marked AS (
      UPDATE runs r SET archived_at = ${at(archivedAt)}
      FROM batch b WHERE r.archive_batch_id = b.batch_id AND r.archived_at IS NULL
      RETURNING 1
    )
    SELECT count(*)::int AS marked FROM marked`;
}

export const statsStatement = (): SQL => sql`
  SELECT (SELECT count(*) FROM runs WHERE completed_at IS NOT NULL AND archived_at IS NULL)::int AS pending,
         (SELECT count(*) FROM archive_batches WHERE archived_at IS NULL)::int AS batches_in_flight,
         (SELECT count(*) FROM runs WHERE archived_at IS NOT NULL)::int AS archived`;

/**
 * oldestPendingCompletion: the older of the first unbatched pending run (runs_archive_pending_idx, in its
 * order) and the oldest run of an unarchived batch (few batches are in flight; runs_archive_batch_idx).
 * least() skips a NULL side; both NULL when nothing is pending.
 */
export const oldestPendingStatement = (): SQL => sql`
  SELECT ${epochMs(`least(
    (SELECT min(completed_at) FROM runs
     WHERE completed_at IS NOT NULL AND archived_at IS NULL AND archive_batch_id IS NULL),
    (SELECT min(r.completed_at) FROM archive_batches b JOIN runs r ON r.archive_batch_id = b.batch_id
     WHERE b.archived_at IS NULL AND r.archived_at IS NULL AND r.completed_at IS NOT NULL))`)} AS oldest`;
