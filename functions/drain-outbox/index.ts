/** The `drain-outbox` scheduled function: makes durable the hot heads the tenant's plan keeps durable. */
import { functionConfig } from '../../lib/runtime/function-context.ts';
import { lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { registerScheduledFunction } from '../../lib/runtime/scheduled-functions.ts';

registerScheduledFunction('drain-outbox', lifecycleJobs(functionConfig)['drain-outbox']);
