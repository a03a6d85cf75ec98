/**
 * The RunScan on the durable store's drizzle database (the same `db` as sql-store.ts): the consistency
 * checker's paging walk over every run of every tenant. Each method is one statement, so it works over Neon
 * HTTP (no session) as on PGlite. Values come back cast to float8 or text, which every driver parses alike.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { RunStatus } from '../types.ts';
import type { RunScan, ScannedRun } from './archive-queue-port.ts';
import type { DurableGuard } from './durable-guard.ts';
import { clampLimit, num, numOrNull, rowsOf, text, textOrNull } from './raw-rows.ts';
import type { DurableDb } from './sql-store.ts';

/** Upper bound of a page: the rows of one HTTP answer. */
const MAX_LIMIT = 5000;

const epochMs = (column: string) => sql.raw(`(extract(epoch FROM ${column}) * 1000)::float8`);
const since = (ms: number | undefined) =>
  ms === undefined ? sql`true` : sql`r.updated_at >= ${new Date(ms).toISOString()}::timestamptz`;

export function createRunScan(db: DurableDb, guard: DurableGuard): RunScan {
  const rows = async (statement: SQL) => rowsOf(await db.execute(statement));

  return {
    scanRuns: (options) =>
      guard('scanRuns', async () => {
        const after = options.after
          ? sql`(r.tenant_id, r.run_id) > (${options.after.tenantId}::text, ${options.after.runId}::text)`
          : sql`true`;
        // Key order walks the primary key, so a page costs `limit` index entries however far the walk is, and
        // a run updated during the walk neither moves between pages nor shows twice (updated_at order would).
        // The newest checkpoint comes from a LATERAL probe of the checkpoints' primary key (one row per run);
        // the batch head's hash from a plain lookup, null once retention removed that checkpoint.
        const found = await rows(sql`
          SELECT r.tenant_id, r.run_id, r.status, r.durable_version::float8 AS durable_version,
                 ${epochMs('r.updated_at')} AS updated_at, ${epochMs('r.completed_at')} AS completed_at,
                 ${epochMs('r.archived_at')} AS archived_at, r.archive_head_version::float8 AS archive_head_version,
                 newest.version::float8 AS head_version, newest.hash AS head_hash, batch_head.hash AS archive_head_hash
          FROM runs r
          LEFT JOIN LATERAL (
            SELECT c.version, c.hash FROM checkpoints c
            WHERE c.tenant_id = r.tenant_id AND c.run_id = r.run_id
            ORDER BY c.version DESC LIMIT 1
          ) newest ON true
          LEFT JOIN checkpoints batch_head ON batch_head.tenant_id = r.tenant_id
            AND batch_head.run_id = r.run_id AND batch_head.version = r.archive_head_version
          WHERE ${after} AND ${since(options.updatedSince)}
          ORDER BY r.tenant_id, r.run_id
          LIMIT ${clamp(options.limit)}`);
        return found.map(toScannedRun);
      }),

    countRuns: (options) =>
      guard('countRuns', async () => {
        const [row] = await rows(
          sql`SELECT count(*)::float8 AS n FROM runs r WHERE ${since(options.updatedSince)}`,
        );
        return num(row?.n);
      }),

    raiseDurableVersion: (key) =>
      guard('raiseDurableVersion', async () => {
        // A commit racing this one holds the run's row: the UPDATE waits, re-checks the WHERE against the
        // row the commit wrote, and greatest() never lowers what the commit raised the index to.
        const raised = await rows(sql`
          WITH newest AS (
            SELECT max(version) AS version FROM checkpoints
            WHERE tenant_id = ${key.tenantId}::text AND run_id = ${key.runId}::text
          )
          UPDATE runs r SET durable_version = greatest(r.durable_version, newest.version)
          FROM newest
          WHERE r.tenant_id = ${key.tenantId}::text AND r.run_id = ${key.runId}::text
            AND r.durable_version < newest.version
          RETURNING 1 AS raised`);
        return raised.length > 0;
      }),
  };
}

function toScannedRun(row: Record<string, unknown>): ScannedRun {
  const headVersion = numOrNull(row.head_version);
  const archiveHeadVersion = numOrNull(row.archive_head_version);
  return {
    tenantId: text(row.tenant_id),
    runId: text(row.run_id),
    status: text(row.status) as RunStatus,
    durableVersion: num(row.durable_version),
    head: headVersion === null ? null : { version: headVersion, hash: text(row.head_hash) },
    updatedAt: num(row.updated_at),
    completedAt: numOrNull(row.completed_at),
    archivedAt: numOrNull(row.archived_at),
    archiveHead:
      archiveHeadVersion === null
        ? null
        : { version: archiveHeadVersion, hash: textOrNull(row.archive_head_hash) },
  };
}

const clamp = (limit: number) => clampLimit(limit, MAX_LIMIT);
