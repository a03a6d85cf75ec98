/**
 * Heads the Upstash hot tier rebuilt from a delta chain, kept so that a load of a head that has not changed since
 * skips the chain: the load script is sent the last link and the chain's length held here, and answers 'same'
 * when the run's chain still ends with that very link at that length (the link carries the head's version, hash,
 * checkpoint and savedAt, so it names the head). Nothing is trusted without that check: a head another instance
 * moved, reverted or replaced is a miss, and the chain is read and rebuilt as before.
 *
 * Only heads rebuilt from patches are kept: a whole-state head costs no rebuild. Bounded by runs and by bytes,
 * least recently used out first.
 */
import { type BoundedLru, createBoundedLru } from '../../cache/bounded-lru.ts';
import type { StoredVersion } from '../types.ts';

export interface HeadCacheLimits {
  /**
   * Most runs kept.
   * @default 1000
   */
  readonly maxRuns?: number;
  /**
   * Most bytes of rebuilt payloads (and their last links) kept.
   * @default 16 MiB
   */
  readonly maxBytes?: number;
}

export interface CachedHead {
  /** The chain's last element, as stored. */
  readonly link: string;
  /** The chain's length with it. */
  readonly length: number;
  /** The head rebuilt from that chain. */
  readonly record: StoredVersion;
}

export type HeadCache = Pick<BoundedLru<CachedHead>, 'get' | 'set' | 'delete'>;

export function createHeadCache(limits: HeadCacheLimits = {}): HeadCache {
  const { maxRuns = 1_000, maxBytes = 16 * 2 ** 20 } = limits;
  return createBoundedLru<CachedHead>({
    maxEntries: maxRuns,
    maxSize: maxBytes,
    sizeOf: (head) => head.record.payload.length + head.link.length,
  });
}
