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

/**
 * What a stored payload is: the whole state, or an RFC 6902 patch from the state of `version - 1` (a link of a
 * delta chain that starts at the nearest 'state' below it; chain.ts rebuilds it).
 */
export type PayloadFormat = 'state' | 'patch';

/**
 * One stored version of a run's state, as every tier keeps it. What a tier answers to a load is always a whole
 * state (`format` absent or 'state'); a save may hand it a 'patch' to store as the next link of the chain.
 */
export interface StoredVersion {
  readonly version: number;
  /** sha256 (hex) of the canonical JSON of the whole state, for a patch too: every version is verifiable. */
  readonly hash: string;
  readonly checkpoint: CheckpointType;
  readonly encoding: PayloadEncoding;
  /** Canonical JSON of the state (or of the patch, see `format`), or gzip+base64 of it (see `encoding`). */
  readonly payload: string;
  /** Size of the state's canonical JSON in bytes, before any compression (of the whole state, for a patch too). */
  readonly sizeBytes: number;
  /** Epoch milliseconds. */
  readonly savedAt: number;
  /** @default 'state' */
  readonly format?: PayloadFormat;
  /** A patch only: the hash of the state it applies to (version - 1); a tier refuses the patch if it holds another. */
  readonly baseHash?: string;
  /**
   * Where this version sits in its chain: patches since the nearest whole state (0 for a whole state) and their
   * payload bytes. Set on what a load answers, so the next save can decide whether it is time for a snapshot.
   */
  readonly chain?: ChainPosition;
}

export interface ChainPosition {
  readonly links: number;
  readonly bytes: number;
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
