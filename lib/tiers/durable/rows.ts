/** Table rows ↔ port records: times become epoch ms here, and the listing cursor is encoded here. */
import { InvalidRequest } from '../../errors.ts';
import type { RunSummary, StoredVersion } from '../types.ts';
import type { CheckpointSummary, Completion, Tenant } from './port.ts';
import type { checkpoints, runs, tenants } from './schema.ts';

type RunRow = typeof runs.$inferSelect;
type CheckpointRow = typeof checkpoints.$inferSelect;
type TenantRow = typeof tenants.$inferSelect;

const msOrNull = (date: Date | null): number | null => (date ? date.getTime() : null);

export function toRunSummary(row: RunRow): RunSummary {
  return {
    runId: row.runId,
    agentName: row.agentName,
    parentRunId: row.parentRunId,
    threadId: row.threadId,
    userId: row.userId,
    status: row.status,
    durableVersion: row.durableVersion,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    completedAt: msOrNull(row.completedAt),
    archivedAt: msOrNull(row.archivedAt),
  };
}

/** The recorded outcome of a completed run's row, or null when it was not completed. */
export function toCompletion(row: RunRow): Completion | null {
  if (row.completedAt === null || (row.status !== 'completed' && row.status !== 'failed')) return null;
  return {
    status: row.status,
    completedAt: row.completedAt.getTime(),
    model: row.model,
    inputTokens: row.inputTokens ?? 0,
    outputTokens: row.outputTokens ?? 0,
    costUsd: row.costUsd ?? 0,
  };
}

export function toStoredVersion(row: CheckpointRow): StoredVersion {
  return {
    version: row.version,
    hash: row.hash,
    checkpoint: row.checkpoint,
    encoding: row.encoding,
    payload: row.payload,
    sizeBytes: row.sizeBytes,
    savedAt: row.savedAt.getTime(),
    ...(row.format === 'patch' && { format: 'patch' as const }),
  };
}

export function toCheckpointSummary(
  row: Pick<CheckpointRow, 'version' | 'hash' | 'checkpoint' | 'sizeBytes' | 'savedAt'>,
): CheckpointSummary {
  return {
    version: row.version,
    hash: row.hash,
    checkpoint: row.checkpoint,
    sizeBytes: row.sizeBytes,
    savedAt: row.savedAt.getTime(),
  };
}

export function toTenant(row: TenantRow): Tenant {
  return { id: row.id, name: row.name, plan: row.plan, createdAt: row.createdAt.getTime() };
}

/** Where a page of runs ends: the (created_at, run_id) of its last row, the listing's sort key. */
export interface RunCursor {
  readonly createdAt: number;
  readonly runId: string;
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.runId])).toString('base64url');
}

export function decodeCursor(text: string): RunCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: value[0], runId: value[1] };
    }
  } catch {
    // fall through: any undecodable cursor gets the same answer
  }
  throw new InvalidRequest('invalid cursor', {
    cursor: ['pass the nextCursor of a previous page unchanged'],
  });
}
