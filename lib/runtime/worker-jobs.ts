/**
 * The Worker's scheduled lifecycle jobs: which cron runs which jobs (the schedules Cloud Scheduler uses in the
 * Cloud Functions deploy, to the minute: a cron trigger has no seconds), and the jobs this isolate can run.
 * The archive's jobs need an archive; without one (STRATA_ARCHIVE=none) the consistency check runs without
 * archive_mismatch and the others are reported as skipped.
 */
import type { Config } from '../config.ts';
import { checkConsistency } from '../lifecycle/consistency.ts';
import { drainOutbox } from '../lifecycle/drain-outbox.ts';
import type { Logger } from '../observability/logger.ts';
import { lifecycleDeps, lifecycleJobs } from './lifecycle.ts';
import type { Tiers } from './tiers.ts';

/** drain-fallback has no cron: a Worker has no fallback store (worker-tiers.ts). */
export type WorkerJobName = 'archive-completed' | 'retention' | 'drain-outbox' | 'consistency-check';

/** Cron expression (as the Worker's triggers name it) → the jobs it runs, in order. */
export const WORKER_CRONS: Readonly<Record<string, readonly WorkerJobName[]>> = {
  '* * * * *': ['drain-outbox', 'archive-completed'],
  '*/10 * * * *': ['consistency-check'],
  '0 * * * *': ['retention'],
};

/** consistencyCheckJob's window and limit (lib/lifecycle/consistency.ts), for the archive-less check. */
const CONSISTENCY_WINDOW_MS = 86_400_000;
const CONSISTENCY_LIMIT = 50_000;

export type WorkerJobs = Partial<Record<WorkerJobName, () => Promise<unknown>>>;

export function workerJobs(
  config: Config,
  tiers: Tiers,
  log: Logger,
  now: () => number = Date.now,
): WorkerJobs {
  const { hot, durable } = tiers;
  const jobs: WorkerJobs = {
    'drain-outbox': () => drainOutbox({ hot, durable, log, now }),
    'consistency-check': () =>
      checkConsistency(
        { hot, durable, runScan: durable.runScan, log, ...(tiers.archive && { archive: tiers.archive }) },
        { repair: true, updatedSince: now() - CONSISTENCY_WINDOW_MS, limit: CONSISTENCY_LIMIT },
      ),
  };
  if (!tiers.archive) return jobs;
  const deps = lifecycleDeps(tiers, log, now);
  const all = lifecycleJobs(config);
  return {
    ...jobs,
    'archive-completed': () => all['archive-completed'](deps),
    retention: () => all.retention(deps),
  };
}

export interface CronOutcome {
  readonly ran: readonly WorkerJobName[];
  readonly skipped: readonly WorkerJobName[];
}

/**
 * Runs the jobs of `cron` one after another; each job's failure is logged and the others still run, then the
 * invocation fails (so the platform records a failed trigger) naming every failed job. An unknown cron fails.
 */
export async function runCron(cron: string, jobs: WorkerJobs, log: Logger): Promise<CronOutcome> {
  const names = WORKER_CRONS[cron];
  if (!names) {
    throw new Error(
      `no job is scheduled on cron "${cron}"; the Worker's triggers must be among: ${Object.keys(WORKER_CRONS).join(', ')}`,
    );
  }
  const ran: WorkerJobName[] = [];
  const skipped: WorkerJobName[] = [];
  const failed: string[] = [];
  for (const name of names) {
    const job = jobs[name];
    if (!job) {
      log.warn({ job: name, cron }, 'scheduled job skipped: it needs an archive (set CLICKHOUSE_URL)');
      skipped.push(name);
      continue;
    }
    const started = performance.now();
    try {
      const report = await job();
      log.info(
        { job: name, cron, tookMs: Math.round(performance.now() - started), report },
        'scheduled job done',
      );
      ran.push(name);
    } catch (error) {
      log.error({ err: error, job: name, cron }, 'scheduled job failed; its next turn retries');
      failed.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failed.length > 0) throw new Error(`scheduled jobs failed on "${cron}": ${failed.join('; ')}`);
  return { ran, skipped };
}
