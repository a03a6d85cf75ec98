/** The durable tier's tables. `npx drizzle-kit generate` turns changes here into migrations in drizzle/. */
import { sql } from 'drizzle-orm';
import {
  bigint,
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
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId] }),
    check('runs_status_check', sql`${t.status} in ('running', 'paused', 'completed', 'failed')`),
    // Listing pages by (created_at, run_id) desc within a tenant; each filter gets an index ending in that order.
    index('runs_tenant_created_idx').on(t.tenantId, t.createdAt, t.runId),
    index('runs_tenant_status_idx').on(t.tenantId, t.status, t.createdAt, t.runId),
    index('runs_tenant_agent_idx').on(t.tenantId, t.agentName, t.createdAt, t.runId),
    index('runs_tenant_parent_idx').on(t.tenantId, t.parentRunId, t.createdAt, t.runId),
    // Erasure by user (GDPR) finds a user's runs without a scan.
    index('runs_tenant_user_idx').on(t.tenantId, t.userId),
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
    payload: text('payload').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    savedAt: ms('saved_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId, t.version] }),
    foreignKey({ columns: [t.tenantId, t.runId], foreignColumns: [runs.tenantId, runs.runId] }).onDelete(
      'cascade',
    ),
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

export const schema = { tenants, apiKeys, runs, checkpoints, idempotencyRecords };
export type DurableSchema = typeof schema;
