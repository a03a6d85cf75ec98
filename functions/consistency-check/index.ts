/** The `consistency-check` scheduled function: head versions and hashes compared across tiers, drift repaired. */

import { functionConfig, functionMetrics } from '../../lib/runtime/function-context.ts';
import { lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { registerScheduledFunction } from '../../lib/runtime/scheduled-functions.ts';

registerScheduledFunction(
  'consistency-check',
  lifecycleJobs(functionConfig, functionMetrics)['consistency-check'],
);
