/**
 * `commit` as ONE statement, run in a REPEATABLE READ transaction: every check is read from one snapshot,
 * and the writes happen only when all checks pass, so an outcome other than 'committed' writes nothing.
 *
 * Why this is safe under concurrency: every write of a commit goes through the run's row (upsert), so two
 * commits of the same run whose snapshots overlap collide on that row, and REPEATABLE READ makes the later
 * one fail with 40001 instead of acting on a stale snapshot. The caller retries; the retry reads the new
 * snapshot and answers from it (usually 'conflict' or 'replayed', writing nothing).
 *
 * `notAfter`: the moment the caller stops waiting. A statement that reaches Postgres later — held by a
 * stalled connection or a queue in front of it, then delivered — writes nothing. Without it, a commit the
 * caller had given up on could land seconds later, after the system moved on: the outbox drain resurrected
 * a hot-only version that Redis had lost, over a version a writer had since been acknowledged for
 * (GOLDEN_HIGH_CONCURRENCY_FLOW). Postgres' clock is compared to the caller's: NTP keeps them within
 * milliseconds, against timeouts of a second.
 */
import { is, Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { isPatch } from '../chain.ts';
import type { RunKey, SaveReceipt, StoredVersion } from '../types.ts';
import type { CommitOptions, DurableCommitOutcome } from './port.ts';

/** SQLSTATEs after which the statement is simply run again on a fresh snapshot. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure: a concurrent commit touched the run first
  '40P01', // deadlock_detected
  '23505', // unique_violation: a concurrent insert won a key we checked as free
]);

/** The statement's text and its values, as a driver sends it (`$1`, `$2`, … in `sql`). */
export interface CommitQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The values a commit binds; every one is cast in the text, so drivers send them as plain JSON values. */
type CommitValues = Readonly<Record<CommitParam, unknown>>;
type CommitParam =
  | 'tenantId'
  | 'runId'
  | 'version'
  | 'requireHead'
  | 'isPatch'
  | 'baseHash'
  | 'notAfter'
  | 'intoCompletedRun'
  | 'agentName'
  | 'parentRunId'
  | 'threadId'
  | 'userId'
  | 'status'
  | 'checkpoint'
  | 'hash'
  | 'encoding'
  | 'format'
  | 'payload'
  | 'sizeBytes'
  | 'savedAt'
  | 'idemKey'
  | 'idemFingerprint'
  | 'idemReceipt'
  | 'idemTtlSeconds';

/**
 * The statement is compiled once per shape (with or without an idempotency receipt), not built per commit:
 * drizzle's per-call build of this text was ≈35 µs of the function's CPU per step.
 */
const SHAPES = { plain: compile(false), withReceipt: compile(true) };

export function commitQuery(
  key: RunKey,
  record: StoredVersion,
  options: CommitOptions,
  notAfter?: number,
): CommitQuery {
  const run = options.run;
  const idem = options.idempotency;
  const values: CommitValues = {
    tenantId: key.tenantId,
    runId: key.runId,
    version: record.version,
    requireHead: options.requireHead ?? null,
    isPatch: isPatch(record),
    baseHash: record.baseHash ?? null,
    notAfter: notAfter === undefined ? null : new Date(notAfter).toISOString(),
    intoCompletedRun: options.intoCompletedRun === true,
    agentName: run.agentName,
    parentRunId: run.parentRunId,
    threadId: run.threadId,
    userId: run.userId,
    status: run.status,
    checkpoint: record.checkpoint,
    hash: record.hash,
    encoding: record.encoding,
    format: isPatch(record) ? 'patch' : 'state',
    payload: record.payload,
    sizeBytes: record.sizeBytes,
    savedAt: new Date(record.savedAt).toISOString(),
    idemKey: idem?.key ?? null,
    idemFingerprint: idem?.fingerprint ?? null,
    idemReceipt: idem ? JSON.stringify(idem.receipt) : null,
    idemTtlSeconds: idem?.ttlSeconds ?? null,
  };
  const shape = idem ? SHAPES.withReceipt : SHAPES.plain;
  return { sql: shape.sql, params: shape.names.map((name) => values[name]) };
}

function compile(withReceipt: boolean): { readonly sql: string; readonly names: readonly CommitParam[] } {
  const query = new PgDialect().sqlToQuery(commitTemplate(withReceipt));
  const names = query.params.map((param) => {
    if (!is(param, Placeholder))
      throw new Error('the commit template binds a value that is not a placeholder');
    return param.name as CommitParam;
  });
  return { sql: query.sql, names };
}

function commitTemplate(withReceipt: boolean): SQL {
  const $ = (name: CommitParam) => sql.placeholder(name);
  const late = sql`(${$('notAfter')}::timestamptz <= clock_timestamp())`;
  const t = sql`${$('tenantId')}::text`;
  const r = sql`${$('runId')}::text`;
  const v = sql`${$('version')}::bigint`;
  const head = sql`${$('requireHead')}::bigint`;
  const patch = sql`${$('isPatch')}::boolean`;
  // A run's index fields come from its newest state: an older version committed late leaves them alone.
  const newer = (column: string) =>
    sql.raw(
      `${column} = CASE WHEN excluded.durable_version >= r.durable_version THEN excluded.${column} ELSE r.${column} END`,
    );

  const receipt = withReceipt
    ? sql`, saved_receipt AS (
        INSERT INTO idempotency_records (tenant_id, run_id, key, fingerprint, receipt, expires_at)
        SELECT ${t}, ${r}, ${$('idemKey')}::text, ${$('idemFingerprint')}::text, ${$('idemReceipt')}::jsonb,
               now() + ${$('idemTtlSeconds')}::float8 * interval '1 second'
        FROM run
        -- Only an expired receipt can be here (a live one fails the gate): replace it.
        ON CONFLICT (tenant_id, run_id, key) DO UPDATE
          SET fingerprint = excluded.fingerprint, receipt = excluded.receipt, expires_at = excluded.expires_at
      )`
    : sql``;

  return sql`
    WITH head AS (
      SELECT durable_version, completed_at IS NOT NULL AS sealed FROM runs WHERE tenant_id = ${t} AND run_id = ${r}
    ), prior AS (
      SELECT fingerprint, receipt FROM idempotency_records
      WHERE tenant_id = ${t} AND run_id = ${r} AND key = ${$('idemKey')}::text AND expires_at > now()
    ), existing AS (
      SELECT hash FROM checkpoints WHERE tenant_id = ${t} AND run_id = ${r} AND version = ${v}
    ), base AS (
      -- A patch is a link onto the previous version: it is stored only onto the content it was made from.
      SELECT ${patch} IS NOT TRUE OR coalesce((SELECT hash FROM checkpoints
        WHERE tenant_id = ${t} AND run_id = ${r} AND version = ${v} - 1) = ${$('baseHash')}::text, false) AS held
    ), gate AS (
      SELECT WHERE NOT EXISTS (SELECT FROM prior) AND NOT EXISTS (SELECT FROM existing) AND ${late} IS NOT TRUE
        AND (SELECT held FROM base)
        -- A completed run is final: no new version (complete commits the head before it records the outcome).
        AND (${$('intoCompletedRun')}::boolean OR coalesce((SELECT sealed FROM head), false) IS NOT TRUE)
        AND (${head} IS NULL OR (coalesce((SELECT durable_version FROM head), 0) = ${head} AND ${v} > ${head}))
    ), run AS (
      INSERT INTO runs AS r (tenant_id, run_id, agent_name, parent_run_id, thread_id, user_id, status,
                             durable_version, created_at, updated_at)
      SELECT ${t}, ${r}, ${$('agentName')}::text, ${$('parentRunId')}::text, ${$('threadId')}::text,
             ${$('userId')}::text, ${$('status')}::text, ${v}, now(), now()
      FROM gate
      ON CONFLICT (tenant_id, run_id) DO UPDATE SET
        durable_version = greatest(r.durable_version, excluded.durable_version),
        ${newer('agent_name')}, ${newer('parent_run_id')}, ${newer('thread_id')}, ${newer('user_id')},
        -- A completed run's status is final: a late save must not reopen it (the archiver relies on it).
        status = CASE WHEN r.completed_at IS NOT NULL THEN r.status
                      WHEN excluded.durable_version >= r.durable_version THEN excluded.status ELSE r.status END,
        updated_at = excluded.updated_at
      RETURNING 1
    ), checkpoint AS (
      INSERT INTO checkpoints (tenant_id, run_id, version, checkpoint, hash, encoding, format, payload, size_bytes,
                               saved_at)
      SELECT ${t}, ${r}, ${v}, ${$('checkpoint')}::text, ${$('hash')}::text, ${$('encoding')}::text,
             ${$('format')}::text, ${$('payload')}::text, ${$('sizeBytes')}::int, ${$('savedAt')}::timestamptz
      FROM run
    )${receipt}
    SELECT (SELECT count(*) FROM run)::int AS written,
           ${late} IS TRUE AS too_late,
           (SELECT durable_version FROM head)::float8 AS head,
           coalesce((SELECT sealed FROM head), false) AS sealed,
           (SELECT hash FROM existing) AS existing_hash,
           (SELECT held FROM base) AS base_held,
           (SELECT fingerprint FROM prior) AS prior_fingerprint,
           (SELECT receipt::text FROM prior) AS prior_receipt`;
}

/** Reads the statement's one row. Casts in the SELECT keep the values plain (int, float8, text) on every driver. */
export function commitOutcome(
  row: Record<string, unknown> | undefined,
  record: StoredVersion,
  options: CommitOptions,
): DurableCommitOutcome {
  if (!row) throw new Error('commit statement returned no row');
  if (row.written === 1) return { status: 'committed' };
  // Nobody is waiting for this answer any more (the caller timed out): it only must not have written.
  if (row.too_late === true)
    throw new Error('the commit reached Postgres after its deadline; nothing was written');
  const currentVersion = typeof row.head === 'number' ? row.head : 0;
  if (typeof row.prior_fingerprint === 'string') {
    if (row.prior_fingerprint !== options.idempotency?.fingerprint) return { status: 'idempotency_mismatch' };
    return { status: 'replayed', receipt: parseReceipt(row.prior_receipt) };
  }
  // The version exists: the same content is a retry of a commit that succeeded.
  if (typeof row.existing_hash === 'string' && row.existing_hash === record.hash)
    return { status: 'committed' };
  if (row.sealed === true) return { status: 'sealed' };
  // Checked after the outcomes that hold whatever the payload (a retry, a completed run): the whole state may
  // still be committed where the patch could not (or answer 'conflict' then).
  if (row.base_held === false && typeof row.existing_hash !== 'string') return { status: 'base_missing' };
  return { status: 'conflict', currentVersion };
}

function parseReceipt(text: unknown): SaveReceipt {
  const value: unknown = typeof text === 'string' ? JSON.parse(text) : null;
  if (
    typeof value === 'object' &&
    value !== null &&
    'runId' in value &&
    'version' in value &&
    'hash' in value &&
    'durability' in value
  ) {
    return value as SaveReceipt;
  }
  throw new Error('stored idempotency receipt is malformed');
}
