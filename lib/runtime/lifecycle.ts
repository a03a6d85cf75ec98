/** Wires the scheduled lifecycle jobs from configuration: their deps, and the jobs with their settings. */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { type ArchiveReport, archiveCompleted } from '../lifecycle/archive-completed.ts';
import { type ConsistencyReport, consistencyCheckJob } from '../lifecycle/consistency.ts';
import type { LifecycleDeps } from '../lifecycle/deps.ts';
import { type DrainReport, drainFallback } from '../lifecycle/drain-fallback.ts';
import { drainOutbox, type OutboxReport } from '../lifecycle/drain-outbox.ts';
import { applyRetention, type RetentionReport } from '../lifecycle/retention.ts';
import type { Logger } from '../observability/logger.ts';
import { recordConsistency } from '../observability/metrics-consistency.ts';
import { type Metrics, offMetrics } from '../observability/metrics-port.ts';
import type { Tiers } from './tiers.ts';

export function lifecycleDeps(tiers: Tiers, log: Logger, now: () => number = Date.now): LifecycleDeps {
  if (!tiers.archive)
    throw new Error('the lifecycle jobs need an archive: set CLICKHOUSE_URL or STRATA_ARCHIVE=chdb');
  return {
    hot: tiers.hot,
    durable: tiers.durable,
    queue: tiers.durable.archiveQueue,
    runScan: tiers.durable.runScan,
    archive: tiers.archive,
    ...(tiers.fallback && { fallback: tiers.fallback }),
    log,
    now,
    newBatchId: () => `b-${randomUUID()}`,
  };
}

export interface LifecycleJobs {
  readonly 'archive-completed': (deps: LifecycleDeps) => Promise<ArchiveReport>;
  readonly retention: (deps: LifecycleDeps) => Promise<RetentionReport>;
  readonly 'drain-fallback': (deps: LifecycleDeps) => Promise<DrainReport>;
  readonly 'drain-outbox': (deps: LifecycleDeps) => Promise<OutboxReport>;
  readonly 'consistency-check': (deps: LifecycleDeps) => Promise<ConsistencyReport>;
}

/** `metrics` receives the consistency check's drift and repairs (one event per kind found). @default offMetrics */
export function lifecycleJobs(config: Config, metrics: Metrics = offMetrics): LifecycleJobs {
  const { lifecycle } = config;
  const consistencyCheck = consistencyCheckJob();
  return {
    'archive-completed': (deps) =>
      archiveCompleted(deps, {
        batchSize: lifecycle.archiveBatchSize,
        leaseMs: lifecycle.archiveLeaseMs,
        hotRetentionMs: lifecycle.hotRetentionMs,
        durableRetentionMs: lifecycle.durableRetentionMs,
      }),
    retention: (deps) =>
      applyRetention(deps, {
        abandonAfterMs: lifecycle.abandonAfterMs,
        durableRetentionMs: lifecycle.durableRetentionMs,
      }),
    'drain-fallback': async (deps) => {
      if (!deps.fallback) throw new Error('drain-fallback needs a fallback store (STRATA_FALLBACK_DIR)');
      return drainFallback({ ...deps, fallback: deps.fallback });
    },
    'drain-outbox': (deps) => drainOutbox(deps),
    // Repairs on, over the runs updated in the last day (consistencyCheckJob's default window).
    'consistency-check': async (deps) => {
      const report = await consistencyCheck(deps);
      recordConsistency(metrics, report);
      return report;
    },
  };
}
