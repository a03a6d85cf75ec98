/** Port records ↔ ClickHouse rows (JSONEachRow), and the read-side column lists that produce them. */
import type { CheckpointSummary } from '../durable/port.ts';
import type { CheckpointType, PayloadFormat, StoredVersion } from '../types.ts';
import type { ArchivedRun } from './port.ts';

/**
 * A DateTime64(3, 'UTC') value as `YYYY-MM-DD hh:mm:ss.sss`. A bare number would also parse, but whether
 * it means seconds or ticks has differed between server versions; this text form has not.
 */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Decimal(38, 9) as text, so the value sent is exactly the value stored (no float re-rounding on the server). */
export function chDecimal(usd: number): string {
  return usd.toFixed(9);
}

/** UInt64/Int64 come back quoted in JSON (`output_format_json_quote_64bit_integers`); counts here stay far below 2^53. */
const num = (v: unknown): number => Number(v);

export interface RunRow {
  readonly tenant_id: string;
  readonly run_id: string;
  readonly batch_id: string;
  readonly agent_name: string;
  readonly parent_run_id: string | null;
  readonly thread_id: string | null;
  readonly user_id: string | null;
  readonly status: 'completed' | 'failed';
  readonly model: string | null;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: string;
  readonly created_at: string;
  readonly completed_at: string;
  readonly archived_at: string;
  readonly head_version: number;
  readonly head_hash: string;
  readonly retain_until: string;
}

export function runRow(run: ArchivedRun, batchId: string): RunRow {
  return {
    tenant_id: run.tenantId,
    run_id: run.runId,
    batch_id: batchId,
    agent_name: run.agentName,
    parent_run_id: run.parentRunId,
    thread_id: run.threadId,
    user_id: run.userId,
    status: run.status,
    model: run.model,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    cost_usd: chDecimal(run.costUsd),
    created_at: chTime(run.createdAt),
    completed_at: chTime(run.completedAt),
    archived_at: chTime(run.archivedAt),
    head_version: run.headVersion,
    head_hash: run.headHash,
    retain_until: chTime(run.retainUntil),
  };
}

export interface CheckpointRow {
  readonly tenant_id: string;
  readonly run_id: string;
  readonly batch_id: string;
  readonly version: number;
  readonly hash: string;
  readonly checkpoint: CheckpointType;
  /** Whether `payload` is the whole state or the patch from the version before (lib/tiers/chain.ts). */
  readonly format: PayloadFormat;
  readonly size_bytes: number;
  readonly saved_at: string;
  readonly retain_until: string;
  /** Canonical JSON (of the state, or of the patch), decoded from whatever encoding the checkpoint arrived in. */
  readonly payload: string;
}

/**
 * Times are read as epoch ms on the server, so no time zone or format of the client matters. Computed
 * columns get names of their own: an alias equal to a column name would shadow it in the rest of the query.
 */
export const RUN_COLUMNS = `tenant_id, run_id, agent_name, parent_run_id, thread_id, user_id, status, model,
  input_tokens, output_tokens, toString(cost_usd) AS cost_text,
  toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(completed_at) AS completed_ms,
  toUnixTimestamp64Milli(archived_at) AS archived_ms, head_version, head_hash,
  toUnixTimestamp64Milli(retain_until) AS retain_ms`;

export type RunResult = Record<
  | 'tenant_id'
  | 'run_id'
  | 'agent_name'
  | 'status'
  | 'input_tokens'
  | 'output_tokens'
  | 'cost_text'
  | 'created_ms'
  | 'completed_ms'
  | 'archived_ms'
  | 'head_version'
  | 'head_hash'
  | 'retain_ms',
  string | number
> &
  Record<'parent_run_id' | 'thread_id' | 'user_id' | 'model', string | null>;

export function archivedRunOf(r: RunResult): ArchivedRun {
  return {
    tenantId: String(r.tenant_id),
    runId: String(r.run_id),
    agentName: String(r.agent_name),
    parentRunId: r.parent_run_id,
    threadId: r.thread_id,
    userId: r.user_id,
    status: r.status === 'failed' ? 'failed' : 'completed',
    model: r.model,
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    costUsd: num(r.cost_text),
    createdAt: num(r.created_ms),
    completedAt: num(r.completed_ms),
    archivedAt: num(r.archived_ms),
    headVersion: num(r.head_version),
    headHash: String(r.head_hash),
    retainUntil: num(r.retain_ms),
  };
}

export const SUMMARY_COLUMNS =
  'version, hash, checkpoint, size_bytes, toUnixTimestamp64Milli(saved_at) AS saved_ms';
export const VERSION_COLUMNS = `${SUMMARY_COLUMNS}, format, payload`;

export type SummaryResult = Record<
  'version' | 'hash' | 'checkpoint' | 'size_bytes' | 'saved_ms',
  string | number
>;
export type VersionResult = SummaryResult & { readonly format: string; readonly payload: string };

export function summaryOf(r: SummaryResult): CheckpointSummary {
  return {
    version: num(r.version),
    hash: String(r.hash),
    checkpoint: String(r.checkpoint) as CheckpointType,
    sizeBytes: num(r.size_bytes),
    savedAt: num(r.saved_ms),
  };
}

/** The archive keeps canonical JSON and hands it back as such: `decodePayload` of it is the identity. */
export function storedVersionOf(r: VersionResult): StoredVersion {
  return {
    ...summaryOf(r),
    encoding: 'json',
    payload: r.payload,
    ...(r.format === 'patch' && { format: 'patch' as const }),
  };
}
