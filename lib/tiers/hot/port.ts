/** The hot tier: the latest version of active runs, with TTL, and idempotency receipts. Every adapter passes test/contracts/hot.contract.ts. */
import type { IdempotencyWrite, RunKey, SaveReceipt, StoredVersion } from '../types.ts';

export type HotSaveOutcome =
  | { readonly status: 'saved' }
  /** The head is not `record.version - 1`. */
  | { readonly status: 'conflict'; readonly currentVersion: number }
  /**
   * The run has no hot copy (new run, TTL expired, or the server lost its data) and the caller
   * gave no `knownHead`. The caller asks the durable tier for the head and saves again with it.
   */
  | { readonly status: 'head_unknown' }
  /** The idempotency key was used before with the same fingerprint: nothing was written, here is the first answer. */
  | { readonly status: 'replayed'; readonly receipt: SaveReceipt }
  /** The idempotency key was used before with another fingerprint: nothing was written. */
  | { readonly status: 'idempotency_mismatch' }
  /** The run was completed (`seal`): it takes no more saves; nothing was written. */
  | { readonly status: 'sealed' }
  /** `baseHash` was given and the head is not that content (or there is no hot head): nothing was written. */
  | { readonly status: 'base_changed' };

export interface HotSaveOptions {
  /** TTL of the run's hot copy, refreshed on every save. */
  readonly ttlSeconds: number;
  /**
   * The head to assume when the run has no hot copy (the durable head, 0 for a new run).
   * Without it an absent run answers `head_unknown`.
   */
  readonly knownHead?: number;
  /** Checked and recorded in the same atomic step as the save. */
  readonly idempotency?: IdempotencyWrite;
  /**
   * The hash the head (version `record.version - 1`) must have: the content the caller built this version on,
   * taken from a cache rather than read. Checked in the same atomic step; a head with another hash, or no hot
   * head at all, answers 'base_changed'.
   */
  readonly baseHash?: string;
  /** Keep the replaced head (for a short while) so `revert` can undo this save if a durable commit that follows fails. */
  readonly keepPrevious?: boolean;
  /**
   * The caller acknowledges this save from the hot tier alone: the same atomic step records the run in the
   * outbox (score = `record.savedAt`; a later pending save of the run moves it) so a drain makes it durable.
   * When false or absent (the caller commits the save durably itself) the run's outbox entry is left as it is.
   */
  readonly pendingDurable?: boolean;
}

/** A run whose hot head was acknowledged before it was durable, as of the save at `savedAt`. */
export interface OutboxEntry {
  readonly key: RunKey;
  readonly savedAt: number;
}

export interface HotTier {
  /**
   * Compare-and-set: writes `record` as the new head only if the current head is `record.version - 1`,
   * and records the idempotency receipt, atomically and in ONE round trip.
   */
  save(key: RunKey, record: StoredVersion, options: HotSaveOptions): Promise<HotSaveOutcome>;
  /** The head, or null when the run has no hot copy. */
  load(key: RunKey): Promise<StoredVersion | null>;
  /**
   * Write `record` as head only if it is newer than the current head (or there is none): promotion of a
   * version read from a lower tier, and repairs. Resolves to whether it was written.
   */
  promote(key: RunKey, record: StoredVersion, ttlSeconds: number): Promise<boolean>;
  /**
   * Undo a save whose durable commit failed: only if the head is still `version` with `hash`, restore the
   * head it replaced (kept by `keepPrevious`; dropped when there was none) and forget `idempotencyKey`.
   */
  revert(key: RunKey, version: number, hash: string, idempotencyKey?: string): Promise<void>;
  /**
   * Mark the run completed for `ttlSeconds`: from then on `save` answers 'sealed' (a retry with a known
   * idempotency key still gets its first answer). Promotions and reverts leave the mark alone.
   */
  seal(key: RunKey, ttlSeconds: number): Promise<void>;
  /** Remove the run's hot copy, its idempotency receipts, its seal and its outbox entry. */
  delete(key: RunKey): Promise<void>;
  /**
   * Outbox entries saved at or before `savedBefore` (so a drain leaves very fresh saves alone), oldest first
   * (ties in no set order), at most `limit` (a positive integer). Reading removes nothing.
   */
  outboxBatch(options: { readonly savedBefore: number; readonly limit: number }): Promise<OutboxEntry[]>;
  /**
   * Remove each entry only if the run's outbox score is still the `savedAt` read: a pending save made since
   * re-scored it, and it stays for the next drain. Atomic for the whole list; resolves to how many were removed.
   */
  outboxAck(entries: readonly OutboxEntry[]): Promise<number>;
  /** How many runs the outbox holds. */
  outboxSize(): Promise<number>;
  /**
   * Keep what the durable tier answered for an API key (its sha256 hash; `value` is opaque to the tier) for
   * `ttlSeconds`, where every instance finds it: an instance that never saw the key can still check it while
   * Postgres is down (lib/auth/api-keys.ts).
   */
  rememberCredential(keyHash: string, value: string, ttlSeconds: number): Promise<void>;
  /** What `rememberCredential` kept for the key hash, or null (never kept, or expired). */
  recallCredential(keyHash: string): Promise<string | null>;
  /** One cheap round trip, for health checks. */
  ping(): Promise<void>;
  /** Release connections (tests, shutdown). */
  close(): Promise<void>;
}
