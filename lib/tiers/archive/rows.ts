/** Port records ↔ ClickHouse rows: the insert column lists (JSONCompactEachRow), and the read-side column lists. */
import type { CheckpointSummary } from '../durable/port.ts';
import type { CheckpointType, StoredVersion } from '../types.ts';
import type { ArchivedCheckpoint, ArchivedRun } from './port.ts';

/**
 * A DateTime64(3, 'UTC') value as `YYYY-MM-DD hh:mm:ss.sss`. A bare number would also parse, but whether
 * it means seconds or ticks has differed between server versions; this text form has not. It runs for every
 * time of every archived row (four per run, two per checkpoint): the date part is remembered per UTC day, the
 * time of day is arithmetic, so no Date is made for most values.
 */
export function chTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= MAX_DAY_MS) {
    return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  }
  const day = Math.floor(ms / DAY_MS);
  let date = DATES.get(day);
  if (date === undefined) {
    if (DATES.size >= 4096) DATES.clear();
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    DATES.set(day, date);
  }
  const inDay = ms - day * DAY_MS;
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor(inDay / 60_000) % 60;
  const sec = Math.floor(inDay / 1000) % 60;
  const milli = inDay % 1000;
  return `${date} ${pad2(h)}:${pad2(m)}:${pad2(sec)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}`;
}

const DAY_MS = 86_400_000;
/** 10000-01-01: from there toISOString writes a sign and six digits of year; below it, four. */
const MAX_DAY_MS = 253_402_300_800_000;
const DATES = new Map<number, string>();
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Decimal(38, 9) as text, so the value sent is exactly the value stored (no float re-rounding on the server). */
export function chDecimal(usd: number): string {
  return usd.toFixed(9);
}

/** UInt64/Int64 come back quoted in JSON (`output_format_json_quote_64bit_integers`); counts here stay far below 2^53. */
const num = (v: unknown): number => Number(v);

/**
 * The columns of an insert and how each value is made from its source, in ONE list per table: the insert
 * names exactly these columns (JSONCompactEachRow, in this order), so a column added to the table and the
 * port is carried by adding one line here.
 */
export type InsertColumns<S> = readonly (readonly [column: string, value: (source: S) => unknown])[];

export const columnNames = <S>(columns: InsertColumns<S>): string[] => columns.map(([name]) => name);

/** One row as JSONCompactEachRow wants it: the values in the order of the column list. */
export function rowOf<S>(columns: InsertColumns<S>, source: S): unknown[] {
  const row = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) row[i] = columns[i]![1](source);
  return row;
}

export interface RunSource {
  readonly run: ArchivedRun;
  readonly batchId: string;
}

export const RUN_INSERT: InsertColumns<RunSource> = [
  ['tenant_id', (s) => s.run.tenantId],
  ['run_id', (s) => s.run.runId],
  ['batch_id', (s) => s.batchId],
  ['agent_name', (s) => s.run.agentName],
  ['parent_run_id', (s) => s.run.parentRunId],
  ['thread_id', (s) => s.run.threadId],
  ['user_id', (s) => s.run.userId],
  ['status', (s) => s.run.status],
  ['model', (s) => s.run.model],
  ['input_tokens', (s) => s.run.inputTokens],
  ['output_tokens', (s) => s.run.outputTokens],
  ['cost_usd', (s) => chDecimal(s.run.costUsd)],
  ['created_at', (s) => chTime(s.run.createdAt)],
  ['completed_at', (s) => chTime(s.run.completedAt)],
  ['archived_at', (s) => chTime(s.run.archivedAt)],
  ['head_version', (s) => s.run.headVersion],
  ['head_hash', (s) => s.run.headHash],
  ['retain_until', (s) => chTime(s.run.retainUntil)],
];

export interface CheckpointSource {
  readonly checkpoint: ArchivedCheckpoint;
  /** Canonical JSON, decoded from whatever encoding the checkpoint arrived in: what the archive stores. */
  readonly canonical: string;
  readonly batchId: string;
  /** A checkpoint lives as long as its run (epoch ms). */
  readonly retainUntil: number;
}

export const CHECKPOINT_INSERT: InsertColumns<CheckpointSource> = [
  ['tenant_id', (s) => s.checkpoint.tenantId],
  ['run_id', (s) => s.checkpoint.runId],
  ['batch_id', (s) => s.batchId],
  ['version', (s) => s.checkpoint.version],
  ['hash', (s) => s.checkpoint.hash],
  ['checkpoint', (s) => s.checkpoint.checkpoint],
  // Whether the payload is the whole state or the patch from the version before (lib/tiers/chain.ts).
  ['format', (s) => s.checkpoint.format ?? 'state'],
  ['size_bytes', (s) => s.checkpoint.sizeBytes],
  ['saved_at', (s) => chTime(s.checkpoint.savedAt)],
  ['retain_until', (s) => chTime(s.retainUntil)],
  ['payload', (s) => s.canonical],
];

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
