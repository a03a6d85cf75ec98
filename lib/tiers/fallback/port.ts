/**
 * The fallback store: the last resort when the tiers above refuse a write. A CRITICAL save that Postgres
 * cannot take is spooled here (`durability: "spooled"`); the drain replays spooled writes into the tiers in
 * spool order and removes each one only once it is durable. Every adapter passes
 * test/contracts/fallback.contract.ts.
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

export interface FallbackStore {
  /** Durable when it resolves (data and directory entry on disk). */
  spool(write: Omit<SpooledWrite, 'id'>): Promise<SpooledWrite>;
  /** Oldest first; `after` is an id for paging. */
  list(page: ListPage): Promise<SpooledWrite[]>;
  /** The newest spooled version of a run (highest record.version; on a tie the one spooled last), or null. */
  loadLatest(key: RunKey): Promise<StoredVersion | null>;
  /** On a tie (the same version spooled twice, e.g. by a retry), the one spooled last. */
  loadVersion(key: RunKey, version: number): Promise<StoredVersion | null>;
  /** Forget one spooled write (after the drain made it durable). Removing a missing id is not an error. */
  remove(id: string): Promise<void>;
  /** Remove every spooled write of a run (run deletion / erasure). Resolves to how many were removed. */
  removeRun(key: RunKey): Promise<number>;
  count(): Promise<number>;
  /** Cheap, for health checks: rejects with TierUnavailable when a spool would fail. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
