/** What the scheduled lifecycle jobs (archive, retention, drain, repair) work with. */
import type { Logger } from '../observability/logger.ts';
import type { ArchiveTier } from '../tiers/archive/port.ts';
import type { ArchiveQueue, RunScan } from '../tiers/durable/archive-queue-port.ts';
import type { DurableTier, TenantDirectory } from '../tiers/durable/port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';

export interface LifecycleDeps {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory;
  readonly queue: ArchiveQueue;
  /** Walks every run of every tenant (the consistency check). */
  readonly runScan: RunScan;
  readonly archive: ArchiveTier;
  readonly fallback?: FallbackStore;
  readonly log: Logger;
  /** Epoch ms; a test drives long-running flows with its own clock. */
  readonly now: () => number;
  readonly newBatchId: () => string;
  /** Test seams: called between steps, to inject crashes where a real function instance could die. */
  readonly hooks?: {
    /** After each part of a batch is in the archive (archive-parts.ts), before the next one is written. */
    readonly afterArchivePart?: (batchId: string, part: number) => Promise<void>;
    /** After every part of a batch is in the archive, before the batch is marked archived in Postgres. */
    readonly afterArchiveWrite?: (batchId: string) => Promise<void>;
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
