/** The `drain-fallback` scheduled function: replays spooled writes into Postgres, in order, idempotently. */
import { functionConfig } from '../../lib/runtime/function-context.ts';
import { lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { registerScheduledFunction } from '../../lib/runtime/scheduled-functions.ts';

registerScheduledFunction('drain-fallback', lifecycleJobs(functionConfig)['drain-fallback']);
