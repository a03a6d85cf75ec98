/** The durable tier: checkpoints, the run index and tenants. Every adapter passes test/contracts/durable.contract.ts. */
import type { RecordedCompletion } from '../../errors.ts';
import type {
  CheckpointType,
  IdempotencyWrite,
  RunKey,
  RunStatus,
  RunSummary,
  SaveReceipt,
  StoredVersion,
} from '../types.ts';

/** The index fields of a run, derived from its state on every durable commit. */
export interface RunFields {
  readonly agentName: string;
  readonly parentRunId: string | null;
  readonly threadId: string | null;
  readonly userId: string | null;
  readonly status: RunStatus;
}

/** A version a caller holds the state of, named by its number and content hash. */
export interface KnownHead {
  readonly version: number;
  readonly hash: string;
}

/** The newest checkpoint is the caller's known head: what a load answers of it besides the state. */
export interface KnownHeadStands {
  readonly stands: true;
  readonly checkpoint: CheckpointType;
  readonly sizeBytes: number;
  readonly savedAt: number;
}

export type DurableCommitOutcome =
  | { readonly status: 'committed' }
  /** `requireHead` was given and the durable head differs, or another checkpoint already holds this version. */
  | { readonly status: 'conflict'; readonly currentVersion: number }
  | { readonly status: 'replayed'; readonly receipt: SaveReceipt }
  | { readonly status: 'idempotency_mismatch' }
  /** The run was completed: it takes no new version (a retry of one it holds is still 'committed'). */
  | { readonly status: 'sealed' }
  /** The record is a patch and the tier does not hold its base (version - 1 with `baseHash`): commit it whole. */
  | { readonly status: 'base_missing' };

export interface CommitOptions {
  readonly run: RunFields;
  /**
   * Compare-and-set in the durable tier: the run's durable head must equal this (0 = new run). Used when the
   * hot tier, which is otherwise the version authority, is down. Without it the durable head moves to
   * max(head, record.version).
   */
  readonly requireHead?: number;
  readonly idempotency?: IdempotencyWrite;
  /**
   * Commit even into a completed run: only for the closing commit of a run retention abandoned, whose newest
   * state may have been in the hot tier alone. Every other commit into a completed run answers 'sealed'.
   */
  readonly intoCompletedRun?: boolean;
}

export interface CheckpointSummary {
  readonly version: number;
  readonly hash: string;
  readonly checkpoint: CheckpointType;
  readonly sizeBytes: number;
  readonly savedAt: number;
}

export interface VersionPage {
  readonly limit: number;
  readonly beforeVersion?: number;
  readonly fromVersion?: number;
  readonly toVersion?: number;
}

export interface RunFilter {
  readonly status?: RunStatus;
  readonly agentName?: string;
  readonly parentRunId?: string;
  /** 1..1000 */
  readonly limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface RunPage {
  readonly runs: readonly RunSummary[];
  readonly nextCursor: string | null;
}

/** The final outcome of a run, as `complete` records it (the shape lives beside the errors that carry it). */
export type Completion = RecordedCompletion;

/** What `complete` found: the outcome recorded (the first one, for a run completed before), and whether it is this call's. */
export interface CompletionOutcome {
  readonly run: RunSummary;
  readonly recorded: Completion;
  /** True when this call recorded it; false when the run had been completed already (nothing was changed). */
  readonly first: boolean;
}

export interface DurableTier {
  /**
   * Commit one checkpoint with the run index update and the idempotency receipt, atomically.
   * Committing a version that already exists with the same hash is idempotent ('committed').
   */
  commit(key: RunKey, record: StoredVersion, options: CommitOptions): Promise<DurableCommitOutcome>;
  /** Register the run if it is new (status from `fields`) and return its index row. */
  ensureRun(key: RunKey, fields: RunFields): Promise<RunSummary>;
  getRun(key: RunKey): Promise<RunSummary | null>;
  /** Newest checkpoint, or null. */
  loadLatest(key: RunKey): Promise<StoredVersion | null>;
  /**
   * loadLatest for a caller that holds a state already: when the newest checkpoint is `known` (its version and
   * hash), only what a load answers besides the state (`KnownHeadStands`), not the chain it is rebuilt from. One
   * statement either way.
   */
  loadLatestUnless(key: RunKey, known: KnownHead): Promise<StoredVersion | KnownHeadStands | null>;
  loadVersion(key: RunKey, version: number): Promise<StoredVersion | null>;
  /**
   * Stored versions with their payloads, newest first, in one statement: at most `limit` (1..1000), below
   * `beforeVersion` (exclusive) and within `fromVersion`..`toVersion` (inclusive) when given.
   */
  loadVersions(key: RunKey, page: VersionPage): Promise<StoredVersion[]>;
  /** Newest first; `beforeVersion` pages (exclusive). */
  listCheckpoints(
    key: RunKey,
    page: { readonly limit: number; readonly beforeVersion?: number },
  ): Promise<CheckpointSummary[]>;
  listRuns(tenantId: string, filter: RunFilter): Promise<RunPage>;
  /**
   * Record the final status, cost and tokens, once: a completed run keeps its first outcome (the archive and
   * the cost views are built from it). Null when the run does not exist.
   */
  complete(key: RunKey, completion: Completion): Promise<CompletionOutcome | null>;
  /** The recorded outcome of a completed run, or null (not completed, or no such run). */
  getCompletion(key: RunKey): Promise<Completion | null>;
  /** A receipt stored by `commit`, for an idempotent retry that reaches the durable tier first. */
  getReceipt(
    key: RunKey,
    idempotencyKey: string,
  ): Promise<{ fingerprint: string; receipt: SaveReceipt } | null>;
  /** Remove the run, its checkpoints and receipts. Resolves to whether it existed. */
  deleteRun(key: RunKey): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type PlanName = 'free' | 'early' | 'mid' | 'enterprise';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly plan: PlanName;
  readonly createdAt: number;
}

/** Tenants and their API keys. Keys are stored only as sha256 hashes. */
export interface TenantDirectory {
  createTenant(tenant: { id: string; name: string; plan: PlanName }): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | null>;
  setPlan(id: string, plan: PlanName): Promise<Tenant | null>;
  addApiKey(tenantId: string, key: { keyHash: string; label: string }): Promise<void>;
  /** The tenant owning a key hash, or null (unknown or revoked). */
  findTenantByKeyHash(keyHash: string): Promise<Tenant | null>;
  revokeApiKey(keyHash: string): Promise<boolean>;
}
