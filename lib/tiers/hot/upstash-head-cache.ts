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

export interface HeadCache {
  get(run: string): CachedHead | undefined;
  set(run: string, head: CachedHead): void;
  delete(run: string): void;
}

const sizeOf = (head: CachedHead) => head.record.payload.length + head.link.length;

export function createHeadCache(limits: HeadCacheLimits = {}): HeadCache {
  const { maxRuns = 1_000, maxBytes = 16 * 2 ** 20 } = limits;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const heads = new Map<string, CachedHead>();
  let bytes = 0;
  const drop = (run: string) => {
    const head = heads.get(run);
    if (!head) return;
    heads.delete(run);
    bytes -= sizeOf(head);
  };
  return {
    get(run) {
      const head = heads.get(run);
      if (head) {
        heads.delete(run);
        heads.set(run, head);
      }
      return head;
    },
    set(run, head) {
      drop(run);
      if (maxRuns < 1 || sizeOf(head) > maxBytes) return;
      heads.set(run, head);
      bytes += sizeOf(head);
      for (const oldest of heads.keys()) {
        if (heads.size <= maxRuns && bytes <= maxBytes) break;
        drop(oldest);
      }
    },
    delete: drop,
  };
}
