/** Registers a scheduled job as an HTTP function for Cloud Scheduler, with the OIDC check in front. */
import * as ff from '@google-cloud/functions-framework';
import { createSchedulerAuth } from '../auth/scheduler-oidc.ts';
import { scheduledHandler } from '../http/scheduled.ts';
import type { LifecycleDeps } from '../lifecycle/deps.ts';
import { recordGauges } from '../observability/metrics-gauges.ts';
import { functionConfig, functionLog, functionMetrics, instanceTiers } from './function-context.ts';
import { lifecycleDeps } from './lifecycle.ts';

/**
 * `job`, then the gauges (breakers, spool, outbox, archive lag, dead letters) written as metrics: in the cloud a
 * function instance has no scrape, and the scheduled functions are the ones that run at a steady cadence.
 */
function withGauges<Report>(job: (deps: LifecycleDeps) => Promise<Report>) {
  return async (deps: LifecycleDeps): Promise<Report> => {
    try {
      return await job(deps);
    } finally {
      await recordGauges(functionMetrics, await instanceTiers()).catch((error: unknown) =>
        functionLog.warn({ err: error }, 'gauges not recorded'),
      );
    }
  };
}

export function registerScheduledFunction<Report>(
  name: string,
  job: (deps: LifecycleDeps) => Promise<Report>,
): void {
  const auth = createSchedulerAuth(functionConfig.scheduler);
  ff.http(
    name,
    scheduledHandler(
      name,
      withGauges(job),
      async () => ({ deps: lifecycleDeps(await instanceTiers(), functionLog), auth }),
      functionLog,
    ),
  );
}
