/** What the persistence service needs from the outside world, passed in so tests can swap any part. */

import type { TierName } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { CircuitBreaker } from '../resilience/breaker.ts';
import type { ArchiveTier } from '../tiers/archive/port.ts';
import type { DurableTier, Tenant } from '../tiers/durable/port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';
import type { SnapshotPolicy } from './deltas.ts';
import type { InstanceState } from './instance-state.ts';

export interface ServiceSettings {
  readonly limits: { readonly maxStateBytes: number; readonly maxDepth: number };
  readonly compressAboveBytes: number;
  readonly ephemeralPaths: readonly string[];
  readonly idempotencyTtlSeconds: number;
  /** When a delta chain is cut by a whole state. @default DEFAULT_SNAPSHOT_POLICY (deltas.ts) */
  readonly snapshots?: SnapshotPolicy;
}

export interface ServiceDeps {
  readonly hot: HotTier;
  readonly durable: DurableTier;
  /** Completed runs, once archived; reads reach it after the durable tier. */
  readonly archive?: ArchiveTier;
  /** Last resort for writes the tiers above refuse; without one such writes are refused (503). */
  readonly fallback?: FallbackStore;
  /** The breaker in front of each guarded tier, for the health endpoint. */
  readonly breakers?: Partial<Record<TierName, CircuitBreaker>>;
  readonly settings: ServiceSettings;
  readonly log: Logger;
  /** Epoch milliseconds; injectable so long-running flows can be driven by a test clock. */
  readonly now: () => number;
  /** What this instance remembers between requests (instance-state.ts). @default a fresh one per service */
  readonly instance: InstanceState;
}

/** Who is calling: the tenant behind the API key. Every operation is scoped to it. */
export interface Caller {
  readonly tenant: Tenant;
}
