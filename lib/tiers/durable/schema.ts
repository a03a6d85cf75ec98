/** The durable tier's tables. `npx drizzle-kit generate` turns changes here into migrations in drizzle/. */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { SaveReceipt } from '../types.ts';

// Times are kept at millisecond precision (timestamptz(3)): the port speaks epoch ms, and the listing cursor
// must compare exactly the value it handed out.
const ms = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const tenants = pgTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    plan: text('plan', { enum: ['free', 'early', 'mid', 'enterprise'] }).notNull(),
    createdAt: ms('created_at').notNull().defaultNow(),
  },
  (t) => [check('tenants_plan_check', sql`${t.plan} in ('free', 'early', 'mid', 'enterprise')`)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    /** sha256 (hex) of the key; the key itself is never stored. */
    keyHash: text('key_hash').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    createdAt: ms('created_at').notNull().defaultNow(),
    revokedAt: ms('revoked_at'),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

export const runs = pgTable(
  'runs',
  {
    tenantId: text('tenant_id').notNull(),
    runId: text('run_id').notNull(),
    agentName: text('agent_name').notNull(),
    parentRunId: text('parent_run_id'),
    threadId: text('thread_id'),
    userId: text('user_id'),
    status: text('status', { enum: ['running', 'paused', 'completed', 'failed'] }).notNull(),
    durableVersion: bigint('durable_version', { mode: 'number' }).notNull().default(0),
    createdAt: ms('created_at').notNull().defaultNow(),
    updatedAt: ms('updated_at').notNull().defaultNow(),
    completedAt: ms('completed_at'),
    archivedAt: ms('archived_at'),
    model: text('model'),
    inputTokens: bigint('input_tokens', { mode: 'number' }),
    outputTokens: bigint('output_tokens', { mode: 'number' }),
    costUsd: numeric('cost_usd', { mode: 'number' }),
    // The archive queue (archive-queue.ts). The batch a completed run joined, and its durable_version at that
    // moment: the batch archives only checkpoints up to it, so a late save never changes a batch.
    archiveBatchId: text('archive_batch_id').references((): AnyPgColumn => archiveBatches.batchId),
    archiveHeadVersion: bigint('archive_head_version', { mode: 'number' }),
    /** When the retention pass removed the run's hot copy (only after the archive holds it). */
    hotPurgedAt: ms('hot_purged_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId] }),
    check('runs_status_check', sql`${t.status} in ('running', 'paused', 'completed', 'failed')`),
    // Listing pages by (created_at, run_id) desc within a tenant; each filter gets an index ending in that order.
    index('runs_tenant_created_idx').on(t.tenantId, t.createdAt, t.runId),
    index('runs_tenant_status_idx').on(t.tenantId, t.status, t.createdAt, t.runId),
    index('runs_tenant_agent_idx').on(t.tenantId, t.agentName, t.createdAt, t.runId),
    // Partial: most runs have no parent, and a row left out of an index costs it nothing when the row moves (the
    // archive's claim and mark rewrite 10,000 runs a batch). `parent_run_id = $1` implies IS NOT NULL, so the
    // planner still uses it for the filter.
    index('runs_tenant_parent_idx')
      .on(t.tenantId, t.parentRunId, t.createdAt, t.runId)
      .where(sql`${t.parentRunId} IS NOT NULL`),
    // Erasure by user (GDPR) finds a user's runs without a scan; partial for the same reason.
    index('runs_tenant_user_idx').on(t.tenantId, t.userId).where(sql`${t.userId} IS NOT NULL`),
    index('runs_archive_batch_idx').on(t.archiveBatchId),
    // No index names archived_at, not even in its predicate, and the table leaves room on its pages (fillfactor
    // 70, migration 0004): the archive's mark, which sets archived_at on every run of a 10,000-run batch, then
    // updates each row in place (HOT) instead of writing a new entry into every index.
    // claimBatch's scan: completed, unbatched runs, oldest first, in exactly its ORDER BY, so a batch costs
    // `limit` index entries however many runs are archived already (a run is batched before it is archived).
    index('runs_archive_pending_idx')
      .on(t.completedAt, t.runId, t.tenantId)
      .where(sql`${t.completedAt} IS NOT NULL AND ${t.archiveBatchId} IS NULL`),
    // The hot retention pass: batched runs whose hot copy is still there, oldest first; the pass keeps those of
    // archived batches (the runs of a batch in flight are few, and skipped).
    index('runs_hot_purge_idx')
      .on(t.completedAt)
      .where(sql`${t.archiveBatchId} IS NOT NULL AND ${t.hotPurgedAt} IS NULL`),
  ],
);

export const checkpoints = pgTable(
  'checkpoints',
  {
    tenantId: text('tenant_id').notNull(),
    runId: text('run_id').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    checkpoint: text('checkpoint', { enum: ['AUTO', 'CRITICAL', 'FULL'] }).notNull(),
    hash: text('hash').notNull(),
    encoding: text('encoding', { enum: ['json', 'gzip-base64'] }).notNull(),
    /**
     * 'state': the payload is the whole state; 'patch': an RFC 6902 patch from version - 1 (lib/tiers/chain.ts).
     * Rows from before chains are whole states, which the default makes them.
     */
    format: text('format', { enum: ['state', 'patch'] })
      .notNull()
      .default('state'),
    payload: text('payload').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    savedAt: ms('saved_at').notNull(),
    /**
     * Insertion order. A commit draws it while holding its run's row lock, so a batch can name exactly the
     * checkpoints its runs had when it was claimed (archive_batches.commit_seq_limit), even against a late
     * commit of an OLDER version (out-of-order writers, repairs), which the version bound alone would let in.
     */
    commitSeq: bigserial('commit_seq', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId, t.version] }),
    foreignKey({ columns: [t.tenantId, t.runId], foreignColumns: [runs.tenantId, runs.runId] }).onDelete(
      'cascade',
    ),
    check('checkpoints_format_check', sql`${t.format} in ('state', 'patch')`),
  ],
);

export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    tenantId: text('tenant_id').notNull(),
    runId: text('run_id').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    receipt: jsonb('receipt').$type<SaveReceipt>().notNull(),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId, t.key] }),
    // A receipt is written in the same statement as its run row, so deleting the run removes it too.
    foreignKey({ columns: [t.tenantId, t.runId], foreignColumns: [runs.tenantId, runs.runId] }).onDelete(
      'cascade',
    ),
  ],
);

/** A batch of completed runs on its way to the archive; its runs point to it (runs.archive_batch_id). */
export const archiveBatches = pgTable('archive_batches', {
  batchId: text('batch_id').primaryKey(),
  createdAt: ms('created_at').notNull().defaultNow(),
  /** The lease: until then one archiver holds the batch; after it, claimBatch hands it out again. */
  claimedUntil: ms('claimed_until').notNull(),
  attempts: integer('attempts').notNull().default(1),
  archivedAt: ms('archived_at'),
  runCount: integer('run_count').notNull(),
  /** The batch's checkpoints are those of its runs with commit_seq below this (drawn after the runs were locked). */
  commitSeqLimit: bigint('commit_seq_limit', { mode: 'number' }).notNull(),
});

export const schema = { tenants, apiKeys, runs, checkpoints, idempotencyRecords, archiveBatches };
export type DurableSchema = typeof schema;
