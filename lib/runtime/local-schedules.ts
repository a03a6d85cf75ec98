/**
 * `npm start` fires the scheduled functions in process, on the same schedules Cloud Scheduler uses in
 * production (terraform/), so the whole lifecycle — save, complete, archive, retention — runs on a laptop.
 * A run that is still going when its next turn comes is not started twice.
 */
import type { Logger } from '../observability/logger.ts';

export interface LocalJob {
  readonly name: string;
  readonly everyMs: number;
  readonly run: () => Promise<unknown>;
}

export function startLocalSchedules(jobs: readonly LocalJob[], log: Logger): { stop(): Promise<void> } {
  const running = new Map<string, Promise<void>>();
  const timers = jobs.map((job) =>
    setInterval(() => {
      if (running.has(job.name)) return;
      const started = performance.now();
      const run = job
        .run()
        .then((report) =>
          log.debug({ job: job.name, tookMs: Math.round(performance.now() - started), report }, 'job done'),
        )
        .catch((error: unknown) =>
          log.warn({ err: error, job: job.name }, 'scheduled job failed; next turn retries'),
        )
        .finally(() => running.delete(job.name));
      running.set(job.name, run);
    }, job.everyMs),
  );
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled(running.values());
    },
  };
}
