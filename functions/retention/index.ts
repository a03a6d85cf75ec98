/** The `retention` scheduled function: abandoned runs closed, old checkpoints of long runs removed. */

import { functionConfig } from '../../lib/runtime/function-context.ts';
import { lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { registerScheduledFunction } from '../../lib/runtime/scheduled-functions.ts';

registerScheduledFunction('retention', lifecycleJobs(functionConfig).retention);
