/**
 * The durable tier's queries, written once against drizzle's PgDatabase and shared by every driver
 * (neon-http, PGlite). Each method is one statement: one round trip, atomic without a session. The
 * TenantDirectory half lives in tenant-store.ts.
 */
import { and, asc, desc, eq, getTableColumns, gt, gte, isNull, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { rebuildLast, rebuildVersions } from '../chain.ts';
import { type CommitQuery, commitOutcome, commitQuery, RETRYABLE_CODES } from './commit-sql.ts';
import { type DurableGuard, pgErrorCode } from './durable-guard.ts';
import type { DurableTier, RunFields, TenantDirectory } from './port.ts';
import {
  decodeCursor,
  encodeCursor,
  toCheckpointSummary,
  toCompletion,
  toRunSummary,
  toStoredVersion,
} from './rows.ts';
import { checkpoints, idempotencyRecords, runs } from './schema.ts';
import { createTenantStore } from './tenant-store.ts';

export type DurableDb = PgDatabase<PgQueryResultHKT>;

/** What differs between drivers. */
export interface StoreDriver {
  readonly db: DurableDb;
  /** Runs one statement in a REPEATABLE READ transaction and returns its rows (one round trip over Neon HTTP). */
  repeatableRead(query: CommitQuery): Promise<readonly Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Attempts of a commit that keeps losing races; each retry runs on a fresh snapshot. */
const COMMIT_ATTEMPTS = 5;

export function createSqlStore(driver: StoreDriver, guard: DurableGuard): DurableTier & TenantDirectory {
  const { db } = driver;
  const runKey = (tenantId: string, runId: string) => and(eq(runs.tenantId, tenantId), eq(runs.runId, runId));
  const checkpointKey = (tenantId: string, runId: string) =>
    and(eq(checkpoints.tenantId, tenantId), eq(checkpoints.runId, runId));
  /** A run's checkpoints within `bounds`, oldest first: the rows a chain is rebuilt from. */
  const chainRows = (key: { tenantId: string; runId: string }, ...bounds: SQL[]) =>
    db
      .select()
      .from(checkpoints)
      .where(and(checkpointKey(key.tenantId, key.runId), ...bounds))
      .orderBy(asc(checkpoints.version));

  return {
    commit: (key, record, options) =>
      guard('commit', async (deadline) => {
        for (let attempt = 1; ; attempt++) {
          try {
            const rows = await driver.repeatableRead(commitQuery(key, record, options, deadline));
            return commitOutcome(rows[0], record, options);
          } catch (error) {
            const code = pgErrorCode(error);
            if (!code || !RETRYABLE_CODES.has(code) || attempt >= COMMIT_ATTEMPTS) throw error;
            // Jitter spreads writers that collided so the next round does not collide again.
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          }
        }
      }),

    ensureRun: (key, fields: RunFields) =>
      guard('ensureRun', async () => {
        // DO UPDATE with no change, rather than DO NOTHING, so RETURNING yields the row that already exists
        // (even one a concurrent caller inserted a moment ago) in the same round trip.
        const [row] = await db
          .insert(runs)
          .values({ tenantId: key.tenantId, runId: key.runId, ...fields })
          .onConflictDoUpdate({ target: [runs.tenantId, runs.runId], set: { runId: sql`excluded.run_id` } })
          .returning();
        if (!row) throw new Error('ensureRun returned no row');
        return toRunSummary(row);
      }),

    getRun: (key) =>
      guard('getRun', async () => {
        const [row] = await db.select().from(runs).where(runKey(key.tenantId, key.runId));
        return row ? toRunSummary(row) : null;
      }),

    // Loads read a version's delta chain, from the nearest whole state at or below it, in one statement, and
    // rebuild it (chain.ts).
    loadLatest: (key) =>
      guard('loadLatest', async () =>
        rebuildLast((await chainRows(key, gte(checkpoints.version, chainStart(key)))).map(toStoredVersion)),
      ),

    loadLatestUnless: (key, known) =>
      guard('loadLatestUnless', async () => {
        // From the known version when it is still the head with that content (then only its row comes back, a
        // patch as a rule), else from the nearest whole state below the head, as loadLatest.
        const knownIsHead = sql`(SELECT h.version FROM checkpoints h
          WHERE h.tenant_id = ${key.tenantId} AND h.run_id = ${key.runId}
            AND h.version = ${known.version}::bigint AND h.hash = ${known.hash}
            AND NOT EXISTS (SELECT FROM checkpoints n WHERE n.tenant_id = h.tenant_id AND n.run_id = h.run_id
                            AND n.version > h.version))`;
        const rows = await chainRows(
          key,
          gte(checkpoints.version, sql`coalesce(${knownIsHead}, ${chainStart(key)})`),
        );
        const [only] = rows;
        if (rows.length === 1 && only?.version === known.version && only.hash === known.hash) {
          const head = toStoredVersion(only);
          return {
            stands: true,
            checkpoint: head.checkpoint,
            sizeBytes: head.sizeBytes,
            savedAt: head.savedAt,
          };
        }
        return rebuildLast(rows.map(toStoredVersion));
      }),

    loadVersion: (key, version) =>
      guard('loadVersion', async () => {
        const rows = await chainRows(
          key,
          lte(checkpoints.version, version),
          gte(checkpoints.version, chainStart(key, sql`${version}::bigint`)),
        );
        if (rows.at(-1)?.version !== version) return null;
        return rebuildLast(rows.map(toStoredVersion));
      }),

    loadVersions: (key, page) =>
      guard('loadVersions', async () => {
        const { version } = checkpoints;
        const wanted = db.$with('wanted').as(
          db
            .select({ version })
            .from(checkpoints)
            .where(
              and(
                checkpointKey(key.tenantId, key.runId),
                page.beforeVersion === undefined ? undefined : lt(version, page.beforeVersion),
                page.fromVersion === undefined ? undefined : gte(version, page.fromVersion),
                page.toVersion === undefined ? undefined : lte(version, page.toVersion),
              ),
            )
            .orderBy(desc(version))
            .limit(clamp(page.limit)),
        );
        const rows = await db
          .with(wanted)
          .select({
            ...getTableColumns(checkpoints),
            wanted: sql<boolean>`${version} IN (SELECT version FROM ${wanted})`.mapWith(Boolean),
          })
          .from(checkpoints)
          .where(
            and(
              checkpointKey(key.tenantId, key.runId),
              lte(version, sql`(SELECT max(version) FROM ${wanted})`),
              gte(version, chainStart(key, sql`(SELECT min(version) FROM ${wanted})`)),
            ),
          )
          .orderBy(asc(version));
        const picked = new Set(rows.filter((row) => row.wanted).map((row) => row.version));
        return rebuildVersions(rows.map(toStoredVersion), (v) => picked.has(v)).reverse();
      }),

    listCheckpoints: (key, page) =>
      guard('listCheckpoints', async () => {
        const { version, hash, checkpoint, sizeBytes, savedAt } = checkpoints;
        const rows = await db
          .select({ version, hash, checkpoint, sizeBytes, savedAt })
          .from(checkpoints)
          .where(
            and(
              checkpointKey(key.tenantId, key.runId),
              page.beforeVersion === undefined ? undefined : lt(version, page.beforeVersion),
            ),
          )
          .orderBy(desc(version))
          .limit(clamp(page.limit));
        return rows.map(toCheckpointSummary);
      }),

    listRuns: (tenantId, filter) =>
      guard('listRuns', async () => {
        const limit = clamp(filter.limit);
        const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
        const rows = await db
          .select()
          .from(runs)
          .where(
            and(
              eq(runs.tenantId, tenantId),
              filter.status === undefined ? undefined : eq(runs.status, filter.status),
              filter.agentName === undefined ? undefined : eq(runs.agentName, filter.agentName),
              filter.parentRunId === undefined ? undefined : eq(runs.parentRunId, filter.parentRunId),
              after &&
                sql`(${runs.createdAt}, ${runs.runId}) < (${new Date(after.createdAt).toISOString()}::timestamptz, ${after.runId}::text)`,
            ),
          )
          // created_at never changes, so a walk through the pages has no duplicates or gaps even while the
          // runs it lists are being updated (updated_at order would move them between pages).
          .orderBy(desc(runs.createdAt), desc(runs.runId))
          .limit(limit + 1);
        const page = rows.slice(0, limit).map(toRunSummary);
        const last = page.at(-1);
        const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
        return { runs: page, nextCursor };
      }),

    complete: (key, completion) =>
      guard('complete', async () => {
        // Only a run not completed yet is updated: the first outcome stands (one statement, so two racing
        // completes cannot both win).
        const [updated] = await db
          .update(runs)
          .set({
            status: completion.status,
            completedAt: new Date(completion.completedAt),
            model: completion.model,
            inputTokens: completion.inputTokens,
            outputTokens: completion.outputTokens,
            costUsd: completion.costUsd,
            updatedAt: sql`now()`,
          })
          .where(and(runKey(key.tenantId, key.runId), isNull(runs.completedAt)))
          .returning();
        const row = updated ?? (await db.select().from(runs).where(runKey(key.tenantId, key.runId)))[0];
        const recorded = row && toCompletion(row);
        if (!row || !recorded) return null;
        return { run: toRunSummary(row), recorded, first: updated !== undefined };
      }),

    getCompletion: (key) =>
      guard('getCompletion', async () => {
        const [row] = await db.select().from(runs).where(runKey(key.tenantId, key.runId));
        return row ? toCompletion(row) : null;
      }),

    getReceipt: (key, idempotencyKey) =>
      guard('getReceipt', async () => {
        const { fingerprint, receipt, expiresAt } = idempotencyRecords;
        const [row] = await db
          .select({ fingerprint, receipt })
          .from(idempotencyRecords)
          .where(
            and(
              eq(idempotencyRecords.tenantId, key.tenantId),
              eq(idempotencyRecords.runId, key.runId),
              eq(idempotencyRecords.key, idempotencyKey),
              gt(expiresAt, sql`now()`),
            ),
          );
        return row ?? null;
      }),

    deleteRun: (key) =>
      guard('deleteRun', async () => {
        // Checkpoints and receipts go with the run (ON DELETE CASCADE), in the same statement.
        const deleted = await db
          .delete(runs)
          .where(runKey(key.tenantId, key.runId))
          .returning({ runId: runs.runId });
        return deleted.length > 0;
      }),

    ping: () => guard('ping', async () => void (await db.execute(sql`select 1`))),
    close: () => driver.close(),

    ...createTenantStore(db, guard),
  };
}

/**
 * The first version of the chain that `atOrBelow` (default: the newest) belongs to: the newest whole state at or
 * below it. Rows from before chains are whole states, so for them this is the version itself.
 */
function chainStart(key: { tenantId: string; runId: string }, atOrBelow?: SQL): SQL {
  return sql`(SELECT coalesce(max(s.version), 0) FROM checkpoints s
    WHERE s.tenant_id = ${key.tenantId} AND s.run_id = ${key.runId} AND s.format = 'state'
      ${atOrBelow === undefined ? sql`` : sql`AND s.version <= ${atOrBelow}`})`;
}

/** Page sizes are 1..1000 (port contract); out-of-range values are clamped rather than refused. */
function clamp(limit: number): number {
  return Math.min(1000, Math.max(1, Math.trunc(limit) || 1));
}
