/** Registers a scheduled job as an HTTP function for Cloud Scheduler, with the OIDC check in front. */
import * as ff from '@google-cloud/functions-framework';
import { createSchedulerAuth } from '../auth/scheduler-oidc.ts';
import { scheduledHandler } from '../http/scheduled.ts';
import type { LifecycleDeps } from '../lifecycle/deps.ts';
import { functionConfig, functionLog, instanceTiers } from './function-context.ts';
import { lifecycleDeps } from './lifecycle.ts';

export function registerScheduledFunction<Report>(
  name: string,
  job: (deps: LifecycleDeps) => Promise<Report>,
): void {
  const auth = createSchedulerAuth(functionConfig.scheduler);
  ff.http(
    name,
    scheduledHandler(
      name,
      job,
      async () => ({ deps: lifecycleDeps(await instanceTiers(), functionLog), auth }),
      functionLog,
    ),
  );
}
