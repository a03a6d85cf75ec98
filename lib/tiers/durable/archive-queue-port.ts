/**
 * The durable side of archiving and retention: which completed runs go to the archive, in which batch, and
 * what may be deleted once the archive holds them. Lives in the durable store, next to the runs it queues.
 * Every adapter passes test/contracts/archive-queue.contract.ts.
 *
 * The archive deduplicates a write by its batch id (lib/tiers/archive), so this side guarantees:
 * - a batch's composition never changes once created: a retry sees the same runs and the same checkpoints;
 * - two archivers never hold the same batch or the same run at once, and a run is in at most one batch.
 */
import type { RunKey, RunSummary, StoredVersion } from '../types.ts';

/** A completed run as the archiver takes it. */
export interface ArchivableRun extends RunSummary {
  readonly tenantId: string;
  readonly model: string | null;
  /** 0 when `complete` recorded none (e.g. a run abandoned by abandonStaleRuns). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  /**
   * The durable head when the run joined its batch: the archive's head version. Frozen, unlike
   * `durableVersion`, which a late save can still move. The other fields are read when the batch is claimed
   * (a retry reads them again); only the keys, this and the checkpoints make up the batch.
   */
  readonly archiveHeadVersion: number;
}

export interface ClaimedBatch {
  readonly batchId: string;
  /** 1 for a new batch, +1 each time an expired lease is re-claimed. */
  readonly attempt: number;
  /** Oldest completion first; the same runs on every attempt. */
  readonly runs: readonly ArchivableRun[];
  /**
   * How many runs the batch was created with: the same on every attempt, even once some of its runs were
   * deleted (so `runs` is shorter). The archiver cuts the batch into parts by it (lib/lifecycle).
   */
  readonly runCount: number;
}

export type ArchivedCheckpointRow = StoredVersion & RunKey;

export interface ArchiveQueue {
  /**
   * Hands out work under a lease of `leaseMs` from `now`: first ONE batch whose lease expired unarchived
   * (same id, same runs, attempt + 1), else a new batch `newBatchId` of up to `limit` completed, unarchived,
   * unbatched runs, oldest completion first. Null when there is nothing to do, or when concurrent claimers
   * hold everything that is left (they skip each other's rows rather than wait).
   */
  claimBatch(options: {
    readonly limit: number;
    readonly leaseMs: number;
    readonly now: number;
    readonly newBatchId: string;
  }): Promise<ClaimedBatch | null>;
  /**
   * The batch's checkpoints, ordered by tenant, run (byte order, COLLATE "C") and version: for each run
   * those it had when it joined the batch (version <= archiveHeadVersion, and none committed later, even an
   * older version). The same answer on every call. Empty for an unknown batch. With `runs`, only the
   * checkpoints of those runs of the batch (a key that is not in the batch adds nothing).
   */
  batchCheckpoints(batchId: string, runs?: readonly RunKey[]): Promise<ArchivedCheckpointRow[]>;
  /**
   * Marks the batch and its runs archived at `at`, once: the number of runs marked by THIS call (0 when the
   * batch was archived already or does not exist). Not tied to an attempt: every attempt writes the same
   * content under the same id, so whichever attempt's write succeeded, the archive holds the batch.
   */
  markArchived(batchId: string, at: number): Promise<number>;
  /** Archived runs completed before `completedBefore` whose hot copy is not marked purged; oldest first. */
  runsToPurgeFromHot(options: {
    readonly completedBefore: number;
    readonly limit: number;
  }): Promise<RunKey[]>;
  /** Records that the hot copies of these ARCHIVED runs are gone (other keys are ignored). */
  markHotPurged(keys: readonly RunKey[], at: number): Promise<void>;
  /**
   * Retention of archived runs: deletes up to `limit` durable checkpoints saved before `savedBefore` that
   * the archive holds (those of the run's batch; a checkpoint committed after the batch is kept). Returns
   * the number deleted; call again until 0 to work off a backlog.
   */
  deleteArchivedCheckpoints(options: {
    readonly savedBefore: number;
    readonly limit: number;
  }): Promise<number>;
  /**
   * Retention of long live runs (never completed): deletes up to `limit` checkpoints saved before
   * `savedBefore`, never a run's newest, and never one a kept version is rebuilt from (only checkpoints below a
   * whole state, with nothing kept between them). Completed runs keep their history for the archive.
   */
  deleteOldCheckpointsOfLiveRuns(options: {
    readonly savedBefore: number;
    readonly limit: number;
  }): Promise<number>;
  /**
   * Up to `limit` runs never completed and not updated since `updatedBefore`: completed now with status
   * 'failed' at `at`, so the archiver takes them. Returns their keys.
   */
  abandonStaleRuns(options: {
    readonly updatedBefore: number;
    readonly at: number;
    readonly limit: number;
  }): Promise<RunKey[]>;
  /**
   * When (epoch ms) the oldest completed run that the archive does not hold yet was completed, whether it waits
   * for a batch or sits in one; null when every completed run is archived. The archive lag is now minus this.
   */
  oldestPendingCompletion(): Promise<number | null>;
  /** For tests and operations: completed runs not archived yet, unarchived batches, archived runs. */
  stats(): Promise<{ pending: number; batchesInFlight: number; archived: number }>;
}

/** What the durable factories return besides the tier: the queue shares the tier's database and lifetime. */
export interface WithArchiveQueue {
  readonly archiveQueue: ArchiveQueue;
}

/**
 * One run as the consistency checker (lib/lifecycle/consistency.ts) sees it: what the index says, and what the
 * checkpoints actually hold.
 */
export interface ScannedRun extends RunKey {
  readonly status: RunSummary['status'];
  /** runs.durable_version: the durable head according to the index. */
  readonly durableVersion: number;
  /** The newest stored checkpoint; null when there is none (a hot-only run, or retention removed them). */
  readonly head: { readonly version: number; readonly hash: string } | null;
  readonly updatedAt: number;
  readonly completedAt: number | null;
  readonly archivedAt: number | null;
  /** The head frozen when the run joined its archive batch; `hash` is null once retention removed that checkpoint. */
  readonly archiveHead: { readonly version: number; readonly hash: string | null } | null;
}

/** The consistency checker's view of the durable store: every run of every tenant, and the one repair it makes there. */
export interface RunScan {
  /**
   * Up to `limit` runs in key order (tenant, run), after the key `after`, updated at or after `updatedSince`
   * (epoch ms). One statement per page; pass the last run of a page as `after` for the next.
   */
  scanRuns(options: {
    readonly after?: RunKey;
    readonly limit: number;
    readonly updatedSince?: number;
  }): Promise<ScannedRun[]>;
  /** How many runs a scan with the same `updatedSince` visits (the total of a progress bar). */
  countRuns(options: { readonly updatedSince?: number }): Promise<number>;
  /**
   * Raises runs.durable_version to the run's newest checkpoint when it is below it; never lowers it, and
   * leaves updated_at alone (the run did not change). Resolves to whether it was raised.
   */
  raiseDurableVersion(key: RunKey): Promise<boolean>;
}

/** What the durable factories return besides the tier, next to `archiveQueue`: the scan shares the same database. */
export interface WithRunScan {
  readonly runScan: RunScan;
}
