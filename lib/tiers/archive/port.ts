/** The archive tier: completed runs, their checkpoints and cost analytics. Every adapter passes test/contracts/archive.contract.ts. */
import type { CheckpointSummary } from '../durable/port.ts';
import type { RunKey, StoredVersion } from '../types.ts';

/** One archived run: what `complete` recorded, plus where its history ends. */
export interface ArchivedRun {
  readonly tenantId: string;
  readonly runId: string;
  readonly agentName: string;
  readonly parentRunId: string | null;
  readonly threadId: string | null;
  readonly userId: string | null;
  readonly status: 'completed' | 'failed';
  readonly model: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Kept exactly to 9 decimals (nano-dollars), so sums never drift. */
  readonly costUsd: number;
  /** Epoch milliseconds, as every time below. */
  readonly createdAt: number;
  readonly completedAt: number;
  readonly archivedAt: number;
  readonly headVersion: number;
  readonly headHash: string;
  /**
   * When the archive may drop the run and its checkpoints (the tables' TTL). The archiver sets it from the
   * tenant's plan. The cost views keep their aggregates past it: retention removes detail, not spend.
   */
  readonly retainUntil: number;
}

/** A checkpoint of an archived run, whatever tier it came from. */
export type ArchivedCheckpoint = StoredVersion & RunKey;

export interface ArchiveBatch {
  /**
   * Names the batch's content. A retry of the same batch (after a timeout, a crash, a doubled trigger)
   * must use the same id; the archiver should record the id and its runs before the first attempt. A batch
   * may be written in parts, one call per part under the same id, each part with its own runs and their
   * checkpoints: a part is deduplicated by its id and what it holds, so every attempt must cut the same parts.
   */
  readonly batchId: string;
  /** Each run once. */
  readonly runs: readonly ArchivedRun[];
  /** Each (run, version) once; every checkpoint belongs to a run of this batch. */
  readonly checkpoints: readonly ArchivedCheckpoint[];
}

export interface ArchiveWriteResult {
  /** Runs this batch holds in the archive: the same answer for the first attempt and every retry. */
  readonly runs: number;
  readonly checkpoints: number;
  /**
   * Runs left out because ANOTHER batch had already archived them (with their checkpoints): a run that
   * reached two batches is still counted once.
   */
  readonly alreadyArchived: number;
}

export type CostGroupBy = 'agent' | 'model' | 'day';

export interface CostQuery {
  /**
   * Epoch ms, half-open `[from, to)` over `completedAt`. The views are daily, so the range is taken in
   * whole UTC days: every day from the one holding `from` to the one holding `to - 1`.
   */
  readonly from: number;
  readonly to: number;
  readonly groupBy: CostGroupBy;
}

export interface CostRow {
  /** The agent name, the model (null: runs that named none), or the UTC day as `YYYY-MM-DD`. */
  readonly key: string | null;
  readonly runs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** Raw counts of a tenant's archive, read so that a duplicated row would show (no FINAL, no DISTINCT). */
export interface ArchiveTotals {
  readonly runs: number;
  readonly checkpoints: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface ArchiveTier {
  /**
   * Exactly once per batch: writing the same batch again adds nothing and counts nothing twice, in the
   * tables or the cost views. Checkpoints are written before runs, so an archived run always has its
   * history. Throws InvalidRequest for a malformed batch (nothing written).
   */
  writeBatch(batch: ArchiveBatch): Promise<ArchiveWriteResult>;
  getRun(key: RunKey): Promise<ArchivedRun | null>;
  /** The newest archived checkpoint. Payloads come back as canonical JSON (`encoding: 'json'`). */
  loadLatest(key: RunKey): Promise<StoredVersion | null>;
  loadVersion(key: RunKey, version: number): Promise<StoredVersion | null>;
  /** Newest first; `beforeVersion` pages (exclusive). */
  listCheckpoints(
    key: RunKey,
    page: { readonly limit: number; readonly beforeVersion?: number },
  ): Promise<CheckpointSummary[]>;
  /** Cost and tokens from the daily views, ordered by key. */
  costs(tenantId: string, query: CostQuery): Promise<CostRow[]>;
  totals(tenantId: string): Promise<ArchiveTotals>;
  /** Remove the run and its checkpoints, and take its cost out of the views. Resolves to whether it existed. */
  deleteRun(key: RunKey): Promise<boolean>;
  /** Erasure: every run of the user, as deleteRun. Resolves to the number of runs removed. */
  deleteUser(tenantId: string, userId: string): Promise<number>;
  /** One cheap round trip, for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
