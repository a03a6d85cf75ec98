/** Records shared by the tier ports. A tier stores bytes it does not interpret; the service owns the state model. */

/** Identifies a run. The tenant always comes from the credential, never from a request body. */
export interface RunKey {
  readonly tenantId: string;
  readonly runId: string;
}

export type CheckpointType = 'AUTO' | 'CRITICAL' | 'FULL';

/** How a state payload is encoded at rest: canonical JSON text, or gzip of it in base64. */
export type PayloadEncoding = 'json' | 'gzip-base64';

/** Where an acknowledged save is guaranteed to be. */
export type Durability = 'hot' | 'durable' | 'spooled';

/** One stored version of a run's state, as every tier keeps it. */
export interface StoredVersion {
  readonly version: number;
  /** sha256 (hex) of the canonical JSON of the state. */
  readonly hash: string;
  readonly checkpoint: CheckpointType;
  readonly encoding: PayloadEncoding;
  /** Canonical JSON, or gzip+base64 of it (see `encoding`). */
  readonly payload: string;
  /** Size of the canonical JSON in bytes, before any compression. */
  readonly sizeBytes: number;
  /** Epoch milliseconds. */
  readonly savedAt: number;
}

/** The answer of a save, kept under an idempotency key so a retry gets the same answer. */
export interface SaveReceipt {
  readonly runId: string;
  readonly version: number;
  readonly hash: string;
  readonly durability: Durability;
}

/** What a tier records under an idempotency key. `fingerprint` is a hash of the request, to refuse reuse with another body. */
export interface IdempotencyWrite {
  readonly key: string;
  readonly fingerprint: string;
  readonly receipt: SaveReceipt;
  readonly ttlSeconds: number;
}

export type RunStatus = 'running' | 'paused' | 'completed' | 'failed';

/** The run index row: what listing and the hierarchy need without decoding state. */
export interface RunSummary {
  readonly runId: string;
  readonly agentName: string;
  readonly parentRunId: string | null;
  readonly threadId: string | null;
  readonly userId: string | null;
  readonly status: RunStatus;
  /** Newest version committed in the durable tier (0 when none yet). */
  readonly durableVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Set when `complete` was called. */
  readonly completedAt: number | null;
  /** Set once the archive holds the run. */
  readonly archivedAt: number | null;
}
