/**
 * What the fallback store holds, for the check: the runs the spool holds writes of, read in one pass over the
 * spool (for spooled_pending), and the dead letters (count and the first few, never their payload).
 */
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { RunKey } from '../tiers/types.ts';

export interface SpooledRun extends RunKey {
  readonly writes: number;
  /** The highest version spooled. */
  readonly newest: number;
}

export interface DeadLetterSample extends RunKey {
  readonly version: number;
  readonly reason: string;
  readonly quarantinedAt: number;
  readonly spoolId: string;
}

export interface DeadLetterSummary {
  readonly count: number;
  /** The oldest ones, in spool order. */
  readonly first: readonly DeadLetterSample[];
}

export async function deadLetterSummary(
  fallback: FallbackStore,
  samples: number,
): Promise<DeadLetterSummary> {
  const count = await fallback.deadLetterCount();
  const letters = count > 0 ? await fallback.deadLetters({ limit: Math.max(1, samples) }) : [];
  return {
    count,
    first: letters.slice(0, samples).map(({ write, reason, quarantinedAt }) => ({
      tenantId: write.key.tenantId,
      runId: write.key.runId,
      version: write.record.version,
      reason,
      quarantinedAt,
      spoolId: write.id,
    })),
  };
}

/** Pages of the spool read at most: far beyond a spool that works (the drain empties it), yet bounded. */
const MAX_PAGES = 100;
const PAGE = 1000;

export async function spooledRuns(fallback: FallbackStore): Promise<SpooledRun[]> {
  const runs = new Map<string, SpooledRun>();
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const writes = await fallback.list({ limit: PAGE, ...(after !== undefined && { after }) });
    for (const { key, record } of writes) {
      const id = `${key.tenantId}\u0000${key.runId}`;
      const seen = runs.get(id);
      runs.set(id, {
        tenantId: key.tenantId,
        runId: key.runId,
        writes: (seen?.writes ?? 0) + 1,
        newest: Math.max(seen?.newest ?? 0, record.version),
      });
    }
    after = writes.at(-1)?.id;
    if (writes.length < PAGE) break;
  }
  return [...runs.values()];
}
