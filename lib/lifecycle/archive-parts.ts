/**
 * A claimed batch cut into parts, so that reading one part's checkpoints from Postgres overlaps writing the
 * previous part to ClickHouse (archive-completed.ts), and only one or two parts' payloads are in memory at once.
 *
 * Every attempt at a batch must cut it the same way: each part is one `writeBatch` under the batch's id, and
 * the archive derives its deduplication tokens from what the part holds, so a retry that cut differently would
 * write rows again. A run's part is a hash of its key modulo a count fixed when the batch was created
 * (`runCount`): a run deleted between attempts changes only its own part, never moves the others.
 */
import { createHash } from 'node:crypto';
import type { ArchivableRun, ClaimedBatch } from '../tiers/durable/archive-queue-port.ts';

/**
 * Runs per part when the batch was created. Changing it re-cuts batches in flight (their retries would write
 * their rows again): keep it fixed, like the archive's CHUNK_LIMITS.
 */
export const RUNS_PER_PART = 1000;

/** The batch's runs in parts (none empty), in part order; a run's order within its part follows `runs`. */
export function partsOf(batch: ClaimedBatch, runsPerPart: number = RUNS_PER_PART): ArchivableRun[][] {
  const count = Math.max(1, Math.ceil(batch.runCount / Math.max(1, runsPerPart)));
  if (count === 1) return batch.runs.length > 0 ? [[...batch.runs]] : [];
  const parts: ArchivableRun[][] = Array.from({ length: count }, () => []);
  for (const run of batch.runs) parts[partOf(run, count)]!.push(run);
  return parts.filter((part) => part.length > 0);
}

function partOf(run: { readonly tenantId: string; readonly runId: string }, count: number): number {
  const digest = createHash('sha256')
    .update(JSON.stringify([run.tenantId, run.runId]))
    .digest();
  return digest.readUInt32BE(0) % count;
}
