/**
 * The `retention` job for runs the archiver does not see: runs abandoned without `complete` are closed as
 * failed (so the next archive pass takes them), and long live runs lose checkpoints past retention (never
 * their newest one).
 */
import { SEAL_TTL_SECONDS } from '../plans.ts';
import type { RunKey } from '../tiers/types.ts';
import { inParallel, type LifecycleDeps } from './deps.ts';

export interface RetentionOptions {
  readonly abandonAfterMs: number;
  readonly durableRetentionMs: number;
}

export interface RetentionReport {
  readonly abandoned: number;
  readonly liveCheckpointsDeleted: number;
}

export async function applyRetention(
  deps: LifecycleDeps,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const now = deps.now();
  let abandoned = 0;
  for (let round = 0; round < 100; round++) {
    const closed = await deps.queue.abandonStaleRuns({
      updatedBefore: now - options.abandonAfterMs,
      at: now,
      limit: 500,
    });
    abandoned += closed.length;
    if (closed.length === 0) break;
    await inParallel(closed, 8, (key) => keepHotHead(deps, key));
  }
  let liveCheckpointsDeleted = 0;
  for (let round = 0; round < 100; round++) {
    const deleted = await deps.queue.deleteOldCheckpointsOfLiveRuns({
      savedBefore: now - options.durableRetentionMs,
      limit: 5000,
    });
    liveCheckpointsDeleted += deleted;
    if (deleted === 0) break;
  }
  const report = { abandoned, liveCheckpointsDeleted };
  if (abandoned + liveCheckpointsDeleted > 0) deps.log.info(report, 'retention applied');
  return report;
}

/** An abandoned run's newest state may be in the hot tier only (AUTO saves): keep it, as `complete` would. */
async function keepHotHead(deps: LifecycleDeps, key: RunKey): Promise<void> {
  try {
    // Closed for good, like a completed run: the hot tier refuses later saves too.
    await deps.hot.seal(key, SEAL_TTL_SECONDS);
    const head = await deps.hot.load(key);
    const run = head && (await deps.durable.getRun(key));
    if (!head || !run || run.durableVersion >= head.version) return;
    const fields = {
      agentName: run.agentName,
      parentRunId: run.parentRunId,
      threadId: run.threadId,
      userId: run.userId,
    };
    await deps.durable.commit(key, head, { run: { ...fields, status: 'failed' }, intoCompletedRun: true });
  } catch (error) {
    deps.log.warn({ err: error, runId: key.runId }, 'could not keep the hot head of an abandoned run');
  }
}
