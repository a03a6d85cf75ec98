/**
 * The fallback store: the last resort when the tiers above refuse a write. A CRITICAL save that Postgres
 * cannot take is spooled here (`durability: "spooled"`); the drain replays spooled writes into the tiers in
 * spool order and removes each one only once it is durable. A write the durable tier refuses (TierRejected)
 * is moved to the dead letters instead: kept for an operator, never replayed, never removed by the drain.
 * Every adapter passes test/contracts/fallback.contract.ts.
 */
import type { RunFields } from '../durable/port.ts';
import type { IdempotencyWrite, RunKey, StoredVersion } from '../types.ts';

export interface SpooledWrite {
  /** Unique; ids compare (as strings) in spool order, so the drain replays a run's versions in order. */
  readonly id: string;
  readonly key: RunKey;
  readonly record: StoredVersion;
  /** The run index fields the durable commit needs when the drain replays the write. */
  readonly run: RunFields;
  readonly idempotency?: IdempotencyWrite;
  /** Epoch ms, as the caller stated it. */
  readonly spooledAt: number;
}

export interface ListPage {
  /** 1..1000 */
  readonly limit: number;
  /** Only writes whose id sorts after this one. It need not exist any more (the drain removes as it goes). */
  readonly after?: string;
}

/** A spooled write moved out of the spool because it cannot be applied. */
export interface DeadLetter {
  readonly write: SpooledWrite;
  /**
   * Why, as a stable code (`[a-z][a-z0-9_]*`, at most 64 characters): a TierRejected reason such as
   * `invalid_data`, or `after_dead_letter` for a later version of a run whose earlier one is here.
   */
  readonly reason: string;
  /** Epoch ms, by the store's clock. */
  readonly quarantinedAt: number;
}

export interface FallbackStore {
  /** Durable when it resolves (data and directory entry on disk). */
  spool(write: Omit<SpooledWrite, 'id'>): Promise<SpooledWrite>;
  /**
   * Takes `version` of the run, once, atomically for every instance sharing the store: the arbiter of a save that
   * neither Redis nor Postgres could take (the store is then the only tier that can say which writer got a
   * version number). 'claimed' for the first claim and for a claim of the same `hash` again (a retry);
   * 'taken' when another content claimed the version first. A claim goes with its spooled write (`remove`,
   * `removeRun`).
   */
  claimVersion(key: RunKey, version: number, hash: string): Promise<'claimed' | 'taken'>;
  /** Oldest first; `after` is an id for paging. */
  list(page: ListPage): Promise<SpooledWrite[]>;
  /** The newest spooled version of a run (highest record.version; on a tie the one spooled last), or null. */
  loadLatest(key: RunKey): Promise<StoredVersion | null>;
  /** On a tie (the same version spooled twice, e.g. by a retry), the one spooled last. */
  loadVersion(key: RunKey, version: number): Promise<StoredVersion | null>;
  /**
   * Forget one spooled write (after the drain made it durable). Removing a missing id is not an error; a dead
   * letter is not in the spool and stays.
   */
  remove(id: string): Promise<void>;
  /**
   * Remove every spooled write and every dead letter of a run (run deletion / erasure). Resolves to how many
   * were removed, of both.
   */
  removeRun(key: RunKey): Promise<number>;
  count(): Promise<number>;
  /**
   * Moves a spooled write to the dead letters, atomically (it is in the spool or in the dead letters, never
   * both, never neither) and durably. Resolves to false when `id` is no longer in the spool (removed, or
   * quarantined by another drain), or is not an id of this store. RangeError for a reason that is not a code.
   */
  quarantine(id: string, reason: string): Promise<boolean>;
  /** Dead letters in spool-id order (so a run's versions are in order); `after` pages by `write.id`. */
  deadLetters(page: ListPage): Promise<DeadLetter[]>;
  deadLetterCount(): Promise<number>;
  /** Cheap, for health checks: rejects with TierUnavailable when a spool would fail. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
